/**
 * Protected titles in the web client: dash.js plays CENC-encrypted media through EME with W3C
 * Clear Key, asking the edge's licence server with the profile token. The licence URL is the one
 * the MPD names (`dashif:laurl`, routes/license.ts); dash.js needs it and the header here, since
 * EME itself cannot add an Authorization header. Clear titles carry no ContentProtection, and
 * dash.js then ignores this.
 */

/** dash.js protection data for `titleId`, authorised as the profile holding `profileToken`. */
export function clearKeyProtection(titleId, profileToken) {
  return {
    'org.w3.clearkey': {
      serverURL: `/v1/license/clearkey?title=${encodeURIComponent(titleId)}`,
      httpRequestHeaders: { Authorization: `Bearer ${profileToken}` },
    },
  };
}
