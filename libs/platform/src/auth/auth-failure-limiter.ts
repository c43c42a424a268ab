export interface AuthFailureLimiterOptions {
  /** Failed authentications a client may make per window before it is locked out; 0 turns the lockout off. */
  failuresPerWindow: number;
  windowMs: number;
  lockoutMs: number;
  /** Clients tracked at once; beyond it the least recently seen is forgotten, so memory stays bounded. */
  maxClients: number;
  now?: () => number;
}

export type AuthFailureVerdict = { locked: false } | { locked: true; retryAfterSeconds: number; justLocked: boolean };

interface ClientFailures {
  windowStart: number;
  failures: number;
  lockedUntil: number;
}

/**
 * Counts failed authentications per client on their own budget, apart from the request rate limit, so a
 * client sending wrong tokens never spends the budget of callers with a right one. In memory, per replica.
 */
export class AuthFailureLimiter {
  private readonly clients = new Map<string, ClientFailures>();
  private readonly now: () => number;

  constructor(private readonly options: AuthFailureLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.failuresPerWindow > 0;
  }

  get failuresPerWindow(): number {
    return this.options.failuresPerWindow;
  }

  get trackedClients(): number {
    return this.clients.size;
  }

  /** Whether this client is locked out now, without charging it anything. */
  check(client: string): AuthFailureVerdict {
    const entry = this.clients.get(client);
    const now = this.now();
    if (!entry || entry.lockedUntil <= now) {
      return { locked: false };
    }
    return { locked: true, retryAfterSeconds: Math.ceil((entry.lockedUntil - now) / 1000), justLocked: false };
  }

  /** Charges one failed authentication; the failure past the budget locks the client out. */
  recordFailure(client: string): AuthFailureVerdict {
    if (!this.enabled) {
      return { locked: false };
    }
    const now = this.now();
    let entry = this.clients.get(client);
    if (entry) {
      this.clients.delete(client); // re-inserted below: Map order is least recently seen first
    } else {
      this.makeRoom(now);
    }
    if (!entry || this.isStale(entry, now)) {
      entry = { windowStart: now, failures: 0, lockedUntil: 0 };
    }
    this.clients.set(client, entry);
    if (entry.lockedUntil > now) {
      return { locked: true, retryAfterSeconds: Math.ceil((entry.lockedUntil - now) / 1000), justLocked: false };
    }
    entry.failures++;
    if (entry.failures > this.options.failuresPerWindow) {
      entry.lockedUntil = now + this.options.lockoutMs;
      return { locked: true, retryAfterSeconds: Math.ceil(this.options.lockoutMs / 1000), justLocked: true };
    }
    return { locked: false };
  }

  /** A served lockout or a window gone by starts the client afresh. */
  private isStale(entry: ClientFailures, now: number): boolean {
    return entry.lockedUntil > 0 ? entry.lockedUntil <= now : now - entry.windowStart >= this.options.windowMs;
  }

  private makeRoom(now: number): void {
    if (this.clients.size < this.options.maxClients) {
      return;
    }
    for (const [client, entry] of this.clients) {
      if (this.isStale(entry, now)) {
        this.clients.delete(client);
      }
    }
    for (const client of this.clients.keys()) {
      if (this.clients.size < this.options.maxClients) {
        break;
      }
      this.clients.delete(client);
    }
  }
}
