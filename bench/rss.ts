import { readdirSync, readFileSync } from "node:fs";

/** Parent pid of each process, from /proc (Linux). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) is in parentheses and may hold spaces: read after its end.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(entry), ppid);
    } catch {
      // The process ended while we listed.
    }
  }
  return out;
}

function rssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resident memory in MB of a process and all its descendants (a server that forks workers). */
export function treeRssMb(root: number): number {
  const byParent = parents();
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of byParent) if (ppid === tree[i]) tree.push(pid);
  }
  const kb = tree.reduce((sum, pid) => sum + rssKb(pid), 0);
  return Math.round(kb / 102.4) / 10;
}
