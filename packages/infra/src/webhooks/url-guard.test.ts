import { expect, test } from "bun:test";
import { isPrivateAddress, refuseResolvedWebhook, refuseWebhookUrl } from "./url-guard.ts";

test("only http(s); private and loopback refused unless allowed; an allowlist limits hosts", () => {
  const open = { allowedHosts: [] };
  expect(refuseWebhookUrl("https://example.com/hook", open)).toBeUndefined();
  expect(refuseWebhookUrl("/threads", open)).toBeUndefined();
  expect(refuseWebhookUrl("ftp://example.com/x", open)).toMatch(/http or https/);
  expect(refuseWebhookUrl("not a url", open)).toMatch(/not a URL/);
  for (const url of [
    "http://127.0.0.1:9/x",
    "http://localhost/x",
    "http://10.1.2.3/",
    "http://[::1]/",
    "http://169.254.169.254/latest",
  ])
    expect(refuseWebhookUrl(url, open)).toMatch(/private or loopback/);
  const allowed = { allowedHosts: ["127.0.0.1", "hooks.example.com"] };
  expect(refuseWebhookUrl("http://127.0.0.1:9/x", allowed)).toBeUndefined();
  expect(refuseWebhookUrl("https://hooks.example.com/x", allowed)).toBeUndefined();
  expect(refuseWebhookUrl("https://example.com/x", allowed)).toMatch(/not in the allowed hosts/);
});

test("private address ranges", () => {
  for (const ip of [
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "127.0.0.1",
    "169.254.1.1",
    "::1",
    "fd00::1",
    "::ffff:10.0.0.1",
  ])
    expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
  for (const ip of ["8.8.8.8", "172.32.0.1", "1.1.1.1", "2606:4700::1111"])
    expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
});

test("before sending, a name is resolved again: one private address refuses it", async () => {
  const policy = { allowedHosts: [] };
  const dns: Record<string, string[]> = {
    "hooks.example.com": ["93.184.216.34"],
    "rebind.example.com": ["93.184.216.34", "10.0.0.5"],
    "hooks.internal": ["10.0.0.9"],
  };
  const seen: string[] = [];
  const resolveHost = async (host: string) => {
    seen.push(host);
    return (dns[host] ?? []).map((address) => ({ address }));
  };
  expect(await refuseResolvedWebhook("https://hooks.example.com/x", policy, resolveHost)).toBeUndefined();
  expect(await refuseResolvedWebhook("https://rebind.example.com/x", policy, resolveHost)).toBe(
    "webhook host 'rebind.example.com' resolves to a private address (10.0.0.5)",
  );
  expect(await refuseResolvedWebhook("https://gone.example.com/x", policy, resolveHost)).toBe(
    "webhook host 'gone.example.com' does not resolve",
  );
  const allowInternal = { allowedHosts: ["hooks.internal"] };
  expect(await refuseResolvedWebhook("https://hooks.internal/x", allowInternal, resolveHost)).toBeUndefined();
  expect(await refuseResolvedWebhook("/relative/path", policy, resolveHost)).toBeUndefined();
  expect(await refuseResolvedWebhook("ftp://hooks.example.com/x", policy, resolveHost)).toBeString();
  // Allowed hosts and literal addresses are not looked up.
  expect(seen).toEqual(["hooks.example.com", "rebind.example.com", "gone.example.com"]);
});
