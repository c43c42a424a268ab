import { randomBytes } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const DEFAULT_MAX_SESSIONS = 100_000;

/** Temporary credentials AssumeRole issued, and whose they are. */
export interface EmulatedSession {
  /** 'ASIA' and 16 more characters, as AWS's temporary key ids. */
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  accountId: string;
  roleName: string;
  sessionName: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export type NewSession = Pick<EmulatedSession, 'accountId' | 'roleName' | 'sessionName' | 'expiresAt'>;

function randomBase32(length: number): string {
  return [...randomBytes(length)].map((byte) => BASE32[byte % 32]).join('');
}

/**
 * Expired sessions stay known, so their keys answer ExpiredToken rather than InvalidClientTokenId; the store
 * forgets the oldest once it holds maxSessions, so a long run that assumes roles again and again stays bounded.
 */
export class SessionStore {
  private readonly sessions = new Map<string, EmulatedSession>();

  constructor(private readonly maxSessions = DEFAULT_MAX_SESSIONS) {}

  get size(): number {
    return this.sessions.size;
  }

  issue(init: NewSession): EmulatedSession {
    const session: EmulatedSession = {
      ...init,
      accessKeyId: `ASIA${randomBase32(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
    };
    this.sessions.set(session.accessKeyId, session);
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size <= this.maxSessions) {
        break;
      }
      this.sessions.delete(oldest);
    }
    return session;
  }

  find(accessKeyId: string): EmulatedSession | undefined {
    return this.sessions.get(accessKeyId);
  }
}
