/* global document, fetch */
/**
 * Concurrent streams in the web client (docs/api.md, "Concurrent streams"): the stream id a
 * manifest answers, the "Too many people" panel with a Stop button per active stream, releasing
 * this device's stream when the viewer leaves, and telling a player stopped from elsewhere.
 */
export const STREAM_ID_HEADER = 'edgeflix-stream-id';
export const TOO_MANY_MESSAGE = 'Too many people are using your account right now';
export const ENDED_MESSAGE = 'Playback was stopped from another device of your account';

/** The stream id of a manifest response (the lease this device holds), or null. */
export function streamIdOf(response) {
  return response.headers.get(STREAM_ID_HEADER);
}

/**
 * Releases this device's stream so its slot is free at once (not 90 s later): `keepalive` lets
 * the request outlive the page on pagehide. sendBeacon cannot carry the token, so fetch it is.
 */
export function releaseStream(token, streamId) {
  if (!token || !streamId) return;
  fetch(`/v1/streams/${streamId}`, {
    method: 'DELETE',
    keepalive: true,
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => {});
}

function describe(stream) {
  const who = stream.profileName ?? 'A profile';
  const where = stream.deviceName ? ` on ${stream.deviceName}` : '';
  const what = stream.titleName ?? 'a title';
  const since = new Date(stream.since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `${who}${where} is watching ${what} (since ${since})`;
}

/**
 * Shows the `too_many_streams` problem in `panel`: the message, the active streams and a Stop
 * button for each, which stops that stream and then calls `retry` (playing here).
 */
export function showTooManyStreams(panel, problem, { token, retry }) {
  panel.replaceChildren();
  panel.hidden = false;
  const heading = document.createElement('p');
  heading.className = 'streams-message';
  heading.textContent = TOO_MANY_MESSAGE;
  const list = document.createElement('ul');
  list.className = 'streams-list';
  for (const stream of problem.streams ?? []) {
    const item = document.createElement('li');
    item.dataset.streamId = stream.streamId;
    const text = document.createElement('span');
    text.textContent = describe(stream);
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Stop';
    button.addEventListener('click', async () => {
      button.disabled = true;
      const res = await fetch(`/v1/streams/${stream.streamId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      // 404: it had already ended or lapsed; the slot is free either way.
      if (res.ok || res.status === 404) {
        hideStreams(panel);
        await retry();
      } else button.disabled = false;
    });
    item.append(text, ' ', button);
    list.append(item);
  }
  panel.append(heading, list);
}

export function hideStreams(panel) {
  panel.hidden = true;
  panel.replaceChildren();
}
