/**
 * The licence server: `POST /v1/license/clearkey?title=<titleId>` with the profile token. The
 * player's EME Clear Key request names key ids; the answer holds only those this profile may have
 * (core/protection/tiers.ts `keyDecision`: the requested title's keys, the title within the
 * profile's maturity level, the tier within the plan's ceiling) once the account holds a stream
 * slot. Every key left out is named in `Edgeflix-Keys-Withheld` with its reason; an unknown key id
 * and another title's key read the same (`not-this-title`), so the answer never tells which keys
 * exist. The key system itself is a seam (key-system/clear-key.ts).
 */
import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { kidBytes, toBase64url } from '../../../../core/protection/key-wrap.ts';
import { keyDecision, type WithheldReason } from '../../../../core/protection/tiers.ts';
import { ClearKeyLicence, ClearKeyLicenceRequest, LicenceQuery } from '../../../../core/protection/wire.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { profileClaims, profileIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { licence, requestedKeyIds } from '../key-system/clear-key.ts';
import { contentKeys } from '../playback/content-keys.ts';
import { requireStreamSlot } from '../stream-slot.ts';

export const KEYS_WITHHELD_HEADER = 'edgeflix-keys-withheld';
/** What the header says for each reason: unknown and other-title alike, so key ids cannot be probed. */
const SHOWN_REASON: Record<WithheldReason, string> = {
  unknown: 'not-this-title',
  'other-title': 'not-this-title',
  maturity: 'maturity',
  plan: 'plan',
};

const licenceDoc: OperationSpec = {
  operationId: 'clearKeyLicence',
  summary: 'Clear Key licence for the calling profile',
  description:
    'Takes the EME Clear Key licence request and answers the JWK set of the keys this profile may have for `title`: its maturity level and its plan\u2019s key tier (basic: SD, standard: up to HD, premium: UHD/HDR). Keys left out are listed in `Edgeflix-Keys-Withheld`.',
  tags: ['playback'],
  security: ['profileToken'],
  query: LicenceQuery,
  body: { schema: ClearKeyLicenceRequest },
  responses: {
    200: {
      ...json(ClearKeyLicence, 'The granted keys (maybe none)'),
      headers: {
        [KEYS_WITHHELD_HEADER]: {
          description:
            'Requested keys left out, as `<kid>=<reason>` pairs separated by commas (reasons: `not-this-title`, `maturity`, `plan`); empty when none',
          schema: { type: 'string' },
        },
      },
    },
  },
  problems: [...BODY_PROBLEMS, 'forbidden', 'too_many_streams', 'stream_ended', 'origin_unavailable', 'unavailable'],
};

export const license = new Hono<EdgeEnv>().post(
  '/clearkey',
  describeRoute(licenceDoc),
  requireUser('profile'),
  async (c) => {
    const { title: titleId } = parseOrThrow(LicenceQuery, c.req.query(), 'query');
    const kids = requestedKeyIds(await readJsonBody(c.req.raw));
    const who = profileIdentity(c);
    const context = { titleId, planId: profileClaims(c).plan, profileMaturityLevel: who.maturityLevel };
    await requireStreamSlot(c.env, who, titleId);
    const known = await contentKeys(c.env, kids, { requestId: c.get('requestId'), caller: who });
    const granted = new Map<string, string>();
    const withheld: string[] = [];
    for (const kid of kids) {
      const entry = known.get(kid);
      const decision = keyDecision(context, entry);
      if (decision === 'granted') granted.set(kid, entry!.key);
      else withheld.push(`${toBase64url(kidBytes(kid))}=${SHOWN_REASON[decision]}`);
    }
    c.header('cache-control', 'no-store');
    c.header(KEYS_WITHHELD_HEADER, withheld.join(', '));
    return c.json(licence(granted));
  },
);
