/**
 * The query form of device capabilities (core/manifest/device.ts parses it, with the header form,
 * by hand: keys are case-insensitive and unknown keys are ignored), as the documents show it.
 */
import { z } from 'zod';

export const DeviceCapabilityQuery = z.object({
  codecs: z
    .string()
    .max(1024)
    .optional()
    .describe('Comma-separated codec families and/or RFC 6381 strings, e.g. `avc1,vp09,mp4a`'),
  'max-res': z.string().max(1024).optional().describe('`<width>x<height>`, the largest frame, e.g. `1920x1080`'),
  hdr: z.string().max(1024).optional().describe('Comma-separated `hdr10`, `hlg`, `dv`, or `none`'),
  'max-bw': z.string().max(1024).optional().describe('Bits per second, e.g. `8000000`'),
});
