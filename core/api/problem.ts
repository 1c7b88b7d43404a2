/** The problem+json body (core/problem.ts) as a schema, for the OpenAPI documents and conformance checks. */
import { z } from 'zod';
import { PROBLEMS, type Problem, type ProblemCode } from '../problem.ts';
import { ActiveStream } from '../streams.ts';

const CODES = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

export const ProblemBody = z.strictObject({
  type: z.string().describe('`urn:edgeflix:problem:<code>`'),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(CODES).describe('Stable; clients may switch on it'),
  detail: z.string(),
  instance: z.string().optional().describe('The path of the request'),
  errors: z
    .array(z.strictObject({ path: z.string(), message: z.string() }))
    .optional()
    .describe('Field errors of a validation problem (`path` dotted, `$` for the whole value)'),
  streams: z.array(ActiveStream).optional().describe("The account's active streams (`too_many_streams`)"),
  requestId: z.string().optional(),
});

// The schema and the type the error handler builds must agree, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agrees: Same<z.infer<typeof ProblemBody>, Problem> = true;
void agrees;
