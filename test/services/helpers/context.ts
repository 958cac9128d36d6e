import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveImageSet } from '../../../src/services/images.ts';
import { generateSessionId } from '../../../src/services/mask.ts';
import { Ownership } from '../../../src/services/ownership.ts';
import type { OwnershipRecord } from '../../../src/services/ownership.ts';
import { isProcessAlive } from '../../../src/services/processes.ts';
import type { ProviderContext } from '../../../src/services/types.ts';

/** A provider context of its own for a test: a fresh state dir, an ownership record and captured log lines. */
export interface TestContext extends ProviderContext {
  readonly stateDir: string;
  readonly lines: string[];
  /** Removes the state dir (call after stopping what was started). */
  cleanup(): void;
}

/**
 * A fresh {@link TestContext}. State dirs live under the OS temp dir, named `dagbox-test-state-*`.
 * Containers run the image set DAGBOX_IMAGES selects (official by default).
 */
export function testContext(): TestContext {
  const stateDir = mkdtempSync(join(tmpdir(), 'dagbox-test-state-'));
  const session = generateSessionId();
  const lines: string[] = [];
  return {
    session,
    ownership: new Ownership(stateDir, session),
    log: (line) => lines.push(line),
    imageSet: resolveImageSet(),
    stateDir,
    lines,
    cleanup: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

/** All ownership records under a state dir. */
export function records(stateDir: string): OwnershipRecord[] {
  const dir = join(stateDir, 'services');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as OwnershipRecord);
}

/** Waits until `pid` is gone (zombies count as gone), up to `ms`. */
export async function waitGone(pid: number, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * The local addresses on which something listens on TCP `port`, from /proc/net/tcp and tcp6
 * (`127.0.0.1`, `0.0.0.0`, `::`, ...), to check that servers listen on loopback only.
 */
export function listenAddresses(port: number): string[] {
  const found: string[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, portHex] = (cols[1] ?? '').split(':');
      if (cols[3] !== '0A' || !addr || Number.parseInt(portHex ?? '', 16) !== port) continue;
      found.push(v6 ? ipv6(addr) : ipv4(addr));
    }
  }
  return found;
}

function ipv4(hex: string): string {
  return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
}

function ipv6(hex: string): string {
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  return hex;
}
