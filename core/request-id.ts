/** Request ids: accepted from upstream when well-formed, else minted; carried edge → origin. */
export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestIdFrom(header: string | null | undefined): string {
  return header && SAFE.test(header) ? header : crypto.randomUUID();
}
