/**
 * The query form of device capabilities (core/manifest/device.ts parses it, with the header form,
 * by hand: keys are case-insensitive and unknown keys are ignored), as the documents show it.
 */
import { z } from 'zod';

/** What the values are made of (ASCII; a malformed value is a 400 naming the key). */
const value = (description: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9.,=-]{0,256}$/)
    .optional()
    .describe(description);

export const DeviceCapabilityQuery = z.object({
  codecs: value('Comma-separated codec families and/or RFC 6381 strings, e.g. `avc1,vp09,mp4a`'),
  'max-res': value('`<width>x<height>`, the largest frame, e.g. `1920x1080`'),
  hdr: value('Comma-separated `hdr10`, `hlg`, `dv`, or `none`'),
  'max-bw': value('Bits per second, e.g. `8000000`'),
});
