import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError, problemResponse } from '../problem.ts';
import { conformanceErrors, responseConformance } from './conformance.ts';
import { describeRoute, json, openApiDocument, undocumentedRoutes } from './openapi.ts';

const Params = z.strictObject({ id: z.uuid() });
const Item = z.strictObject({ id: z.uuid(), count: z.number().int() });
const app = new Hono()
  .get(
    '/items/:id',
    describeRoute({
      operationId: 'getItem',
      summary: 'An item',
      tags: ['items'],
      security: [],
      params: Params,
      responses: { 200: json(Item, 'The item') },
      problems: ['not_found', 'validation_failed'],
    }),
    (c) => c.json({ id: c.req.param('id'), count: 1 }),
  )
  .get('/undescribed', (c) => c.text('hi'));
const doc = openApiDocument(app as never, {
  info: { title: 't', version: '1', description: 'd' },
  tags: [],
  securitySchemes: {},
});
const ID = '6c1f0b8e-2a51-4c8e-9d0e-2f9a8b7c6d5e';
const observed = (status: number, body: unknown, contentType = 'application/json') => ({
  method: 'GET',
  path: `/items/${ID}`,
  status,
  contentType,
  body: JSON.stringify(body),
});

describe('the document builder', () => {
  it('turns the route and its schemas into an operation with typed path parameters and problem responses', () => {
    const op = (doc.paths as Record<string, Record<string, Record<string, unknown>>>)['/items/{id}']!.get!;
    expect(op.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(Object.keys(op.responses as object).sort()).toEqual(['200', '400', '404']);
  });

  it('lists routes that carry no description', () => {
    expect(undocumentedRoutes(app as never)).toEqual(['GET /undescribed']);
  });
});

describe('the conformance check', () => {
  it('passes a response that matches its documented schema', () => {
    expect(conformanceErrors(doc, observed(200, { id: ID, count: 2 }))).toEqual([]);
  });

  it('flags a body that breaks the schema', () => {
    expect(conformanceErrors(doc, observed(200, { id: ID, count: 'two' }))).not.toEqual([]);
    expect(conformanceErrors(doc, observed(200, { id: ID, count: 2, extra: true }))).not.toEqual([]);
  });

  it('flags a status the operation does not document', () => {
    expect(conformanceErrors(doc, observed(409, {}))).toEqual([expect.stringContaining('status not documented')]);
  });

  it('flags a content type the response does not list', () => {
    expect(conformanceErrors(doc, observed(200, { id: ID, count: 2 }, 'text/plain'))).toEqual([
      expect.stringContaining('content type'),
    ]);
  });

  it('checks a problem against the problem schema and its documented codes', async () => {
    const request = { method: 'GET', url: `http://x/items/${ID}` };
    expect(await responseConformance(doc, request, problemResponse(new HttpError('not_found', 'no')))).toEqual([]);
    // 404 is documented for not_found only: another code under it breaks the document.
    const wrongCode = { type: 'urn:edgeflix:problem:x', title: 't', status: 404, code: 'conflict', detail: 'd' };
    expect(conformanceErrors(doc, observed(404, wrongCode, 'application/problem+json'))).not.toEqual([]);
  });

  it('lets a request no operation describes be refused with a 4xx, and flags a success or a 5xx there', () => {
    const unknown = { method: 'GET', path: '/nowhere', contentType: 'application/problem+json', body: '{}' };
    for (const status of [401, 404, 405]) expect(conformanceErrors(doc, { ...unknown, status })).toEqual([]);
    expect(conformanceErrors(doc, { ...unknown, status: 200 })).not.toEqual([]);
    expect(conformanceErrors(doc, { ...unknown, status: 500 })).not.toEqual([]);
  });
});
