/**
 * Content keys at rest: wrapped with AES Key Wrap (RFC 3394, WebCrypto `AES-KW`) under a 256-bit
 * key-encryption key from configuration (`CONTENT_KEY_KEK`, base64url). Only the wrapped form is
 * stored; a key is unwrapped in memory when a licence needs it. A wrong KEK or a changed wrapped
 * key fails the unwrap (AES-KW's integrity check) instead of giving a wrong key.
 */
/** WebCrypto's key type, named without the DOM lib (Node and workerd both have it). */
export type KeyEncryptionKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export const CONTENT_KEY_BYTES = 16;
export const KEK_BYTES = 32;

/** The configured KEK as a WebCrypto key; throws naming the variable when it is malformed. */
export async function importKek(base64url: string, variable = 'CONTENT_KEY_KEK'): Promise<KeyEncryptionKey> {
  const raw = fromBase64url(base64url);
  if (raw?.length !== KEK_BYTES) {
    throw new Error(
      `${variable} must be ${KEK_BYTES} random bytes in base64url (${Math.ceil((KEK_BYTES * 4) / 3)} characters)`,
    );
  }
  return crypto.subtle.importKey('raw', raw, { name: 'AES-KW' }, false, ['wrapKey', 'unwrapKey']);
}

/** A new KEK, base64url (what the dev secrets and docs/deploy.md make). */
export function generateKek(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(KEK_BYTES)));
}

/** A fresh random content key. */
export function generateContentKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(CONTENT_KEY_BYTES));
}

/** `key` wrapped under `kek` (24 bytes for a 16-byte key). */
export async function wrapContentKey(kek: KeyEncryptionKey, key: Uint8Array): Promise<Uint8Array> {
  if (key.length !== CONTENT_KEY_BYTES) throw new Error('a content key is 16 bytes');
  const raw = await crypto.subtle.importKey('raw', key, { name: 'AES-CTR' }, true, ['encrypt']);
  return new Uint8Array(await crypto.subtle.wrapKey('raw', raw, kek, { name: 'AES-KW' }));
}

/** The content key inside `wrapped`; rejects when `kek` is not the key it was wrapped with or the bytes changed. */
export async function unwrapContentKey(kek: KeyEncryptionKey, wrapped: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.unwrapKey('raw', wrapped, kek, { name: 'AES-KW' }, { name: 'AES-CTR' }, true, [
    'encrypt',
  ]);
  return new Uint8Array((await crypto.subtle.exportKey('raw', key)) as ArrayBuffer);
}

export function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Bytes of a base64url (or base64) string, or undefined when it is not one. */
export function fromBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) return undefined;
  const bare = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  if (bare.length % 4 === 1) return undefined;
  try {
    const binary = atob(bare + '='.repeat((4 - (bare.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** A key id's 16 bytes from its UUID form. */
export function kidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error('a key id is a UUID');
  return Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

/** A key id's UUID form from its 16 bytes. */
export function kidUuid(bytes: Uint8Array): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
