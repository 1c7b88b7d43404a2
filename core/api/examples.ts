/** Example values the OpenAPI documents show (shaped like the demo data `npm start` seeds). */

export const TITLE_ID = '6c1f0b8e-2a51-4c8e-9d0e-2f9a8b7c6d5e';
export const PROFILE_ID = '3b9d6f2a-8c41-4e7b-a0d5-9e8f7a6b5c4d';
export const REPRESENTATION_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

export const TOKEN = {
  token: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImVkZ2VmbGl4LTEifQ.eyJzdWIiOiLigKYifQ.c2lnbmF0dXJl',
  tokenType: 'Bearer',
  expiresAt: '2026-12-01T12:15:00.000Z',
};

export const SESSION_ID = '7e6d5c4b-3a29-4f18-9e07-d6c5b4a39281';

export const SESSION_TOKEN = {
  ...TOKEN,
  refreshToken: 'rt_Qm9va3MgYXJlIGdvb2QgZm9yIHRoZSBzb3VsLCB0ZWE',
  refreshExpiresAt: '2026-12-31T12:00:00.000Z',
  sessionId: SESSION_ID,
};

/** A device token, as a login hands it out (core/login-limit.ts). */
export const DEVICE_TOKEN = 'dt1.q83vEjRWeJASNFZ4kBI0Vg.1796040000.nHkLz1vR3c0m7Xo2qYf9WbT8uJ5eKd6sA4gPiVhNlZE';

export const SESSIONS = {
  sessions: [
    {
      id: SESSION_ID,
      deviceName: 'Living-room TV',
      deviceType: 'tv',
      createdAt: '2026-12-01T12:00:00.000Z',
      lastUsedAt: '2026-12-01T20:30:00.000Z',
      country: 'DE',
      userAgent: 'EdgeflixTV/3.2',
      current: true,
    },
  ],
};

export const PROFILES = {
  profiles: [
    {
      id: PROFILE_ID,
      name: 'Alex',
      language: 'en',
      maturityLevel: 50,
      kids: false,
      avatar: null,
      favouriteGenres: ['comedy'],
    },
    {
      id: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
      name: 'Kids',
      language: 'en',
      maturityLevel: 10,
      kids: true,
      avatar: null,
      favouriteGenres: [],
    },
  ],
};

export const TITLE_CARD = {
  id: TITLE_ID,
  type: 'movie',
  name: 'The Quiet Harbor',
  synopsis: 'A lighthouse keeper finds a message that should not exist.',
  releaseYear: 2021,
  maturityRating: 'PG-13',
  maturityLevel: 30,
  durationSeconds: 6120,
  genres: ['drama', 'mystery'],
  posterUrl: null,
  backdropUrl: null,
  playable: true,
};

export const HEARTBEAT = {
  titleId: TITLE_ID,
  positionSeconds: 1834.5,
  durationSeconds: 6120,
  eventTime: 1796040000000,
  deviceId: 'tv-livingroom',
};

export const PROGRESS_VIEW = {
  titleId: TITLE_ID,
  positionSeconds: 1834.5,
  durationSeconds: 6120,
  progressPercent: 29.98,
  completed: false,
  lastWatchedAt: '2026-12-01T12:00:00.000Z',
  deviceId: 'tv-livingroom',
};

export const HEARTBEAT_RECEIPT = { accepted: 1, superseded: 0, pending: 3 };
