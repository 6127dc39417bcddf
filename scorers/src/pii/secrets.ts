import { isSpaceUnit } from '../text/code-units.ts';
import { shannonEntropy } from './checksums.ts';
import { allMatches } from './matches.ts';
import type { Detector, PiiFinding } from './types.ts';

interface SecretRule {
  id: string;
  pattern: RegExp;
  /** Index of the capture group holding the secret; 0 for the whole match. */
  group: number;
  /** Substrings of which the text must hold one for the rule to be worth running. */
  needs: readonly string[];
  /** Minimum Shannon entropy (bits per char) of the secret part, to skip `sk-xxxxxxxx` examples. */
  minEntropy: number;
  /** A cheaper test that every text the pattern matches passes, when `needs` says too little. */
  gate?: (text: string) => boolean;
}

// Every keyword of the credential pattern ends with one of these.
const CREDENTIAL_ENDINGS = ['password', 'passwd', 'pwd', 'pass', 'secret', 'key', 'token', 'bearer'];

/** Whether `text` ends with `word` at `end` (exclusive), ASCII letters in any case as a non-Unicode `i` pattern folds them. */
function endsWithFolded(text: string, end: number, word: string): boolean {
  if (end < word.length) return false;
  for (let k = 0; k < word.length; k++) {
    const c = text.charCodeAt(end - word.length + k);
    if (c >= 128 || (c | 32) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Whether a credential assignment could start here: some ":" or "=" has, before it and
 * past optional whitespace and one quote, a keyword ending (any case). Prose is full of
 * colons, but seldom after "password" or "token".
 */
function mayHoldCredential(text: string): boolean {
  for (const sep of [':', '=']) {
    for (let at = text.indexOf(sep); at !== -1; at = text.indexOf(sep, at + 1)) {
      let j = at;
      while (j > 0 && isSpaceUnit(text.charCodeAt(j - 1))) j--;
      if (j > 0 && (text.charCodeAt(j - 1) === 34 || text.charCodeAt(j - 1) === 39)) j--;
      for (const ending of CREDENTIAL_ENDINGS) if (endsWithFolded(text, j, ending)) return true;
    }
  }
  return false;
}

const RULES: SecretRule[] = [
  {
    id: 'aws_access_key',
    needs: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g,
    group: 0,
    minEntropy: 3,
  },
  {
    id: 'github_token',
    needs: ['gh'],
    pattern: /\bgh[pousr]_[A-Za-z0-9]{36,251}\b/g,
    group: 0,
    minEntropy: 3.5,
  },
  {
    id: 'github_pat',
    needs: ['github_pat_'],
    pattern: /\bgithub_pat_[A-Za-z0-9_]{60,251}\b/g,
    group: 0,
    minEntropy: 3.5,
  },
  {
    id: 'anthropic_key',
    needs: ['sk-ant-'],
    pattern: /\bsk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{32,}/g,
    group: 0,
    minEntropy: 3.5,
  },
  {
    id: 'openai_key',
    needs: ['sk-'],
    pattern:
      /\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}(?:T3BlbkFJ[A-Za-z0-9_-]{20,})?/g,
    group: 0,
    minEntropy: 3.5,
  },
  {
    id: 'slack_token',
    needs: ['xox'],
    pattern: /\bxox[abposre]-(?:\d+-)+[A-Za-z0-9-]{10,}\b/g,
    group: 0,
    minEntropy: 3,
  },
  {
    id: 'slack_webhook',
    needs: ['hooks.slack.com'],
    pattern: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/[A-Za-z0-9]{20,}/g,
    group: 0,
    minEntropy: 3,
  },
  {
    id: 'stripe_key',
    needs: ['_live_', '_test_'],
    pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g,
    group: 0,
    minEntropy: 3.5,
  },
  {
    id: 'google_api_key',
    needs: ['AIza'],
    pattern: /\bAIza[0-9A-Za-z_-]{35}(?![\w-])/g,
    group: 0,
    minEntropy: 3.5,
  },
  {
    id: 'credential_assignment',
    needs: ['=', ':'],
    pattern:
      /\b(?:password|passwd|pwd|pass|secret|client_?secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|bearer|private[_-]?key|aws_secret_access_key|token)["']?\s*(?:[:=]|:=|=>)\s*["'`]?([^\s"'`,;<>]{8,200})/gi,
    group: 1,
    minEntropy: 3,
    gate: mayHoldCredential,
  },
  {
    id: 'bearer_header',
    needs: [':'],
    pattern: /\bAuthorization:\s*Bearer\s+([A-Za-z0-9._~+/-]{20,}=*)/gi,
    group: 1,
    minEntropy: 3.5,
  },
];

const PEM_HEADER = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_FOOTER = /-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const FOOTER_START = '-----END ';
/** Fewest characters between header and footer: a key body, not an empty template. */
const MIN_PEM_BODY = 20;

/**
 * Private key blocks, header to footer. A block ends before the next header: a base64 body
 * holds no "-----", so an earlier header without its footer was cut off. The footer search
 * only moves forward, each "-----END " read once; a lazy `BEGIN[\s\S]*?END` pattern instead
 * scanned to the end of the text for every header without a footer, quadratic in their number.
 */
function privateKeyBlocks(text: string, out: PiiFinding[]): void {
  const headers = allMatches(PEM_HEADER, text);
  // -2: not looked for yet; -1: none at or after the last place looked from.
  let footer = -2;
  let footerEnd = 0;
  let blockEnd = 0;
  for (let h = 0; h < headers.length; h++) {
    const header = headers[h] as RegExpExecArray;
    if (header.index < blockEnd) continue;
    const bodyFrom = header.index + header[0].length + MIN_PEM_BODY;
    if (footer < bodyFrom) {
      footer = -1;
      for (
        let at = text.indexOf(FOOTER_START, bodyFrom);
        at !== -1;
        at = text.indexOf(FOOTER_START, at + 1)
      ) {
        PEM_FOOTER.lastIndex = at;
        if (PEM_FOOTER.exec(text) !== null) {
          footer = at;
          footerEnd = PEM_FOOTER.lastIndex;
          break;
        }
      }
      // No footer after this header: none after any later one either.
      if (footer === -1) return;
    }
    const next = headers[h + 1];
    if (next !== undefined && next.index < footer) continue;
    out.push({
      type: 'SECRET',
      start: header.index,
      end: footerEnd,
      text: text.slice(header.index, footerEnd),
      confidence: 0.97,
      validator: 'private_key_block',
    });
    blockEnd = footerEnd;
  }
}

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/y;
/** Where a token may start: the first "eyJ" after a word boundary in a run of base64url characters. */
const JWT_START = /\beyJ[A-Za-z0-9_-]*/g;

/**
 * Tokens, as `\beyJ…` over the whole text would find them. A token's first segment runs to the
 * end of its run of base64url characters from any "eyJ" in the run alike, so if the first start
 * fails every later one in the run does too: only the first is tried. Tried from each, a long
 * run with no dot after it was rescanned once per "eyJ" ("eyJ-eyJ-…": 5 s on 100 KB).
 */
function jwtMatches(text: string): RegExpExecArray[] {
  const found: RegExpExecArray[] = [];
  JWT_START.lastIndex = 0;
  for (let s = JWT_START.exec(text); s !== null; s = JWT_START.exec(text)) {
    JWT.lastIndex = s.index;
    const m = JWT.exec(text);
    if (m === null) continue;
    found.push(m);
    JWT_START.lastIndex = JWT.lastIndex;
  }
  JWT_START.lastIndex = 0;
  return found;
}

// Documentation stand-ins: "sk-...your-key...", "<API_KEY>", "xxxxxxxx", "${TOKEN}", "changeme".
const PLACEHOLDER =
  /your|xxxx|\.\.\.|…|example|placeholder|redacted|changeme|change_me|dummy|sample|insert|replace|<|>|\$\{|\{\{|\*\*\*|^(\w)\1+$|^(?:password|secret|token|null|none|undefined|true|false)$/i;

function base64UrlJson(segment: string): unknown {
  try {
    const b64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    return JSON.parse(atob(padded));
  } catch {
    return undefined;
  }
}

export const detectSecrets: Detector = (text, out) => {
  for (const rule of RULES) {
    let needed = false;
    for (const n of rule.needs) {
      if (text.includes(n)) {
        needed = true;
        break;
      }
    }
    if (!needed || (rule.gate !== undefined && !rule.gate(text))) continue;
    for (const m of allMatches(rule.pattern, text)) {
      const secret = m[rule.group];
      if (secret === undefined) continue;
      if (PLACEHOLDER.test(secret) || shannonEntropy(secret) < rule.minEntropy) continue;
      // Assignment values must look machine-made: at least two character classes and not a plain word.
      if (rule.id === 'credential_assignment') {
        const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(secret)).length;
        if (
          classes < 2 ||
          /^[a-z]+$/i.test(secret) ||
          /^\w+\(/.test(secret) ||
          /^[a-z_]+\.[a-z_.]+$/i.test(secret)
        )
          continue;
      }
      const start = m.index + (rule.group === 0 ? 0 : m[0].lastIndexOf(secret));
      out.push({
        type: 'SECRET',
        start,
        end: start + secret.length,
        text: secret,
        confidence: rule.id === 'credential_assignment' ? 0.8 : 0.97,
        validator: rule.id,
      });
    }
  }
  if (text.includes('-----BEGIN ')) privateKeyBlocks(text, out);
  if (!text.includes('eyJ')) return;
  for (const m of jwtMatches(text)) {
    const [headerPart = '', payloadPart = ''] = m[0].split('.');
    const header = base64UrlJson(headerPart);
    if (!header || typeof header !== 'object' || !('alg' in header)) continue;
    const payloadOk = typeof base64UrlJson(payloadPart) === 'object';
    out.push({
      type: 'SECRET',
      start: m.index,
      end: m.index + m[0].length,
      text: m[0],
      confidence: payloadOk ? 0.97 : 0.85,
      validator: 'jwt_header',
    });
  }
};

/** What may be stored about a secret: its kind, first characters and length, never the value. */
export function redactSecret(value: string): string {
  return `${value.slice(0, Math.min(4, Math.floor(value.length / 4)))}…(${value.length} chars)`;
}
