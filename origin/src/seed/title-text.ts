/**
 * The words of a title: names (unique across the catalog) and synopses for movies and series,
 * and names and synopses for episodes, in a style that follows the title's primary genre.
 */
import type { Rng } from './random.ts';
import {
  ADJECTIVES,
  ANIMALS,
  DOC_SUBJECTS,
  EPISODE_EVENTS,
  FIRST_NAMES,
  GENRE_NOUNS,
  INCITING,
  KIDS_ADJECTIVES,
  KIDS_NOUNS,
  KIDS_TOPICS,
  LAST_NAMES,
  NOUNS,
  PLACES,
  REALITY_NOUNS,
  ROLES,
  STAKES,
  STANDUP_TOPICS,
} from './words.ts';

/** How a title's words read; kids, documentary, stand-up, reality and anime titles each have their own. */
export type Style = 'general' | 'kids' | 'documentary' | 'stand-up' | 'reality' | 'anime';

/** The style for a title's primary genre. */
export function styleFor(kids: boolean, primary: string): Style {
  if (kids) return 'kids';
  if (primary === 'documentary' || primary === 'stand-up' || primary === 'reality' || primary === 'anime')
    return primary;
  return 'general';
}

function nameCandidate(rng: Rng, style: Style, primary: string): string {
  const noun = (): string => {
    const flavour = GENRE_NOUNS[primary];
    return flavour && rng.chance(0.45) ? rng.pick(flavour) : rng.pick(NOUNS);
  };
  switch (style) {
    case 'kids': {
      const animal = rng.pick(ANIMALS);
      return rng.pick([
        () => `${rng.pick(KIDS_ADJECTIVES)} ${animal} ${rng.pick(KIDS_NOUNS)}`,
        () => `${rng.pick(FIRST_NAMES)} the ${animal}`,
        () => `The ${rng.pick(KIDS_ADJECTIVES)} ${animal}s`,
        () => `${animal} ${rng.pick(KIDS_NOUNS)}`,
        () => `${rng.pick(KIDS_ADJECTIVES)} ${rng.pick(KIDS_NOUNS)}`,
      ])();
    }
    case 'documentary': {
      const subject = rng.pick(DOC_SUBJECTS);
      return rng.pick([
        () => `Inside ${subject}`,
        () => `${rng.pick(PLACES)} Uncovered`,
        () => `Chasing ${subject}`,
        () => `The Secret Life of ${subject}`,
        () => `${subject.replace(/^the /, 'The ')}: The Untold Story`,
        () => `Our ${rng.pick(ADJECTIVES)} Planet`,
      ])();
    }
    case 'stand-up':
      return rng.pick([
        () => `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}: Live in ${rng.pick(PLACES)}`,
        () => `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}: ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`,
      ])();
    case 'reality':
      return rng.pick([
        () => `${rng.pick(PLACES)} ${rng.pick(REALITY_NOUNS)}`,
        () => `Love in ${rng.pick(PLACES)}`,
        () => `The Great ${rng.pick(REALITY_NOUNS)}`,
        () => `Million Dollar ${rng.pick(REALITY_NOUNS)}`,
      ])();
    case 'anime':
      return rng.pick([
        () => `${noun()} of the ${rng.pick(ADJECTIVES)} ${noun()}`,
        () => `${rng.pick(ADJECTIVES)} ${noun()}: ${noun()}`,
        () => `${noun()} Hunter`,
        () => `${rng.pick(ADJECTIVES)} Blade ${noun()}`,
      ])();
    case 'general':
      return rng.pick([
        () => `The ${rng.pick(ADJECTIVES)} ${noun()}`,
        () => `${rng.pick(ADJECTIVES)} ${noun()}`,
        () => `The ${noun()} of ${rng.pick(PLACES)}`,
        () => `${rng.pick(FIRST_NAMES)}'s ${noun()}`,
        () => `${rng.pick(PLACES)} ${noun()}`,
        () => `The Last ${noun()}`,
        () => `Beyond the ${noun()}`,
        () => `${rng.pick(ADJECTIVES)} ${rng.pick(PLACES)}`,
      ])();
  }
}

const SEQUEL_SUFFIXES = ['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];

/** A name no earlier title has: a few redraws, then a sequel numeral (II, III, …). */
export function uniqueName(rng: Rng, style: Style, primary: string, used: Set<string>): string {
  let candidate = nameCandidate(rng, style, primary);
  for (let attempt = 0; attempt < 12 && used.has(candidate); attempt++) {
    candidate = nameCandidate(rng, style, primary);
  }
  if (used.has(candidate)) {
    const base = candidate;
    for (let n = 0; used.has(candidate); n++) {
      candidate = n < SEQUEL_SUFFIXES.length ? `${base} ${SEQUEL_SUFFIXES[n]}` : `${base} ${n + 2}`;
    }
  }
  used.add(candidate);
  return candidate;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A movie's or series' one-sentence synopsis. */
export function synopsisFor(rng: Rng, style: Style, type: 'movie' | 'series'): string {
  switch (style) {
    case 'kids':
      return `${rng.pick(FIRST_NAMES)} the ${rng.pick(ANIMALS).toLowerCase()} and friends ${
        type === 'series' ? 'go on a new adventure every day and learn' : 'set off on a big adventure and learn'
      } about ${rng.pick(KIDS_TOPICS)}.`;
    case 'documentary':
      return `${type === 'series' ? 'This docuseries' : 'This documentary'} takes a close look at ${rng
        .pick(DOC_SUBJECTS)
        .replace(/^The /, 'the ')}, from ${rng.pick(PLACES)} to ${rng.pick(PLACES)}, with never-before-seen footage.`;
    case 'stand-up':
      return `The comedian riffs on ${rng.pick(STANDUP_TOPICS)}, ${rng.pick(STANDUP_TOPICS)} and ${rng.pick(
        STANDUP_TOPICS,
      )} in a sold-out show.`;
    case 'reality':
      return `Contestants from across ${rng.pick(PLACES)} compete for a life-changing prize as alliances form and tempers flare.`;
    case 'anime':
    case 'general':
      return `In ${rng.pick(PLACES)}, ${rng.pick(ROLES)} ${rng.pick(INCITING)} and ${rng.pick(STAKES)}.`;
  }
}

/** An episode's name; now and then the first one is the Pilot. */
export function episodeName(rng: Rng, season: number, episode: number, primary: string): string {
  if (season === 1 && episode === 1 && rng.chance(0.3)) return 'Pilot';
  const flavour = GENRE_NOUNS[primary] ?? NOUNS;
  return rng.weighted<() => string>([
    [() => `Chapter ${episode}: The ${rng.pick(flavour)}`, 2],
    [() => `The ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`, 3],
    [() => `${rng.pick(NOUNS)}`, 1],
    [() => `Episode ${episode}`, 1],
  ])();
}

/** An episode's one-sentence synopsis. */
export function episodeSynopsis(rng: Rng, style: Style): string {
  if (style === 'kids') return `Today the gang learns about ${rng.pick(KIDS_TOPICS)}.`;
  if (style === 'documentary') return `A closer look at ${rng.pick(DOC_SUBJECTS).replace(/^The /, 'the ')}.`;
  if (style === 'reality') return `${capitalize(rng.pick(EPISODE_EVENTS))}, and one contestant goes home.`;
  return `${capitalize(rng.pick(EPISODE_EVENTS))} as ${rng.pick(ROLES)} ${rng.pick(INCITING)}.`;
}
