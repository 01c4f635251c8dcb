import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { validationFailed } from "../errors.ts";

export interface WebhookPolicy {
  /** Hosts webhooks may reach (exact names or IPs); empty: any public host. */
  allowedHosts: string[];
}

/** Why a webhook URL is refused, or undefined when it may be used. Relative URLs go to this server. */
export function refuseWebhookUrl(url: string, policy: WebhookPolicy): string | undefined {
  if (url.startsWith("/")) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `webhook '${url}' is not a URL`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "webhook URLs must be http or https";
  const host = hostOf(parsed);
  if (policy.allowedHosts.length > 0 && !policy.allowedHosts.includes(host)) {
    return `webhook host '${host}' is not in the allowed hosts`;
  }
  if (!policy.allowedHosts.includes(host) && (host === "localhost" || (isIP(host) && isPrivateAddress(host)))) {
    return `webhook host '${host}' is a private or loopback address (allow it explicitly to use it)`;
  }
  return undefined;
}

/** Throws the 422 for a webhook URL a run or cron may not name. */
export function assertWebhookUrl(url: string | undefined, policy: WebhookPolicy): void {
  if (url === undefined) return;
  const refused = refuseWebhookUrl(url, policy);
  if (refused) throw validationFailed(refused, { field: "webhook" });
}

/**
 * Checked again right before sending: a public-looking name must not resolve to a private address
 * unless the host is explicitly allowed.
 */
export async function refuseResolvedWebhook(
  url: string,
  policy: WebhookPolicy,
  resolveHost: (host: string) => Promise<Array<{ address: string }>> = (host) => lookup(host, { all: true }),
): Promise<string | undefined> {
  const first = refuseWebhookUrl(url, policy);
  if (first || url.startsWith("/")) return first;
  const host = hostOf(new URL(url));
  if (policy.allowedHosts.includes(host) || isIP(host)) return undefined;
  const addresses = await resolveHost(host).catch(() => []);
  if (addresses.length === 0) return `webhook host '${host}' does not resolve`;
  const inside = addresses.find((a) => isPrivateAddress(a.address));
  return inside ? `webhook host '${host}' resolves to a private address (${inside.address})` : undefined;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
}

/** Loopback, private, link-local, unspecified and unique-local addresses (IPv4 and IPv6). */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = ip.split(".").map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  const v6 = ip.toLowerCase();
  if (v6.startsWith("::ffff:")) return isPrivateAddress(v6.slice(7));
  return v6 === "::1" || v6 === "::" || v6.startsWith("fc") || v6.startsWith("fd") || v6.startsWith("fe80");
}
