/**
 * Every response a test origin gives, checked against the origin's OpenAPI document (status
 * documented, content type, body schema): a response that breaks it throws, failing the test
 * that caused it (through `app.request`) or answering 500 (through a listening server).
 */
import { responseConformance } from '../../../core/api/conformance.ts';
import type { createApp } from '../../src/app.ts';
import { originDocument } from '../../src/openapi.ts';

export function checkConformance(app: ReturnType<typeof createApp>): ReturnType<typeof createApp> {
  const document = originDocument(app);
  const fetch = app.fetch;
  app.fetch = async (request, ...rest) => {
    const response = await fetch(request, ...rest);
    const errors = await responseConformance(document, request, response);
    if (errors.length > 0) throw new Error(`The response breaks the origin's OpenAPI document:\n${errors.join('\n')}`);
    return response;
  };
  return app;
}
