import { expect, test } from "bun:test";
import { isPrivateAddress, refuseWebhookUrl } from "./url-guard.ts";

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
