/**
 * Who made a title and what it is about: its cast and crew, a few keywords, and (for some) an
 * original title in the language it was made in, so that search has more than names to match.
 *
 * Drawn from a PRNG stream of its own per top-level title (seed + "credits" + index), apart from
 * the one `title-bundle.ts` uses: adding these rows changed no other table's rows.
 */
import { Rng } from './random.ts';
import type { TitleCreditRow, TitleKeywordRow, TitleOriginalNameRow, TitleRow } from './tables.ts';

/** People names: some with accents, so that "Jose Nunez" finds José Núñez. */
const GIVEN_NAMES = [
  'José',
  'Amélie',
  'Zoë',
  'Björn',
  'Inés',
  'Chloé',
  'Nicolás',
  'François',
  'Søren',
  'Agnès',
  'Mateus',
  'Eleanor',
  'Kwame',
  'Yusuf',
  'Mei',
  'Aleksander',
  'Beatriz',
  'Oskar',
  'Léa',
  'Rafael',
  'Hiroshi',
  'Ingrid',
  'Tomás',
  'Priya',
  'Declan',
  'Ximena',
  'Anouk',
  'Caspian',
  'Dalia',
  'Emeka',
] as const;
const FAMILY_NAMES = [
  'Núñez',
  'Müller',
  'Ibáñez',
  'Gonçalves',
  'Løvgren',
  'Dvořák',
  'Ashworth',
  'Okonkwo',
  'Fairbanks',
  'Takahashi',
  'Villanueva',
  'Petrović',
  'Lindgren',
  'Achterberg',
  'Castellano',
  'Mbeki',
  'Quintero',
  'Roussel',
  'Szabó',
  'Whitlock',
  'Yamamoto',
  'Ferreira',
  'Kaczmarek',
  'Oyelaran',
  'Brandt',
  'Montalbán',
  'Halvorsen',
  'Delacroix',
  'Abernathy',
  'Sørensen',
] as const;

/** Keywords per primary genre, and some any title may carry. */
const GENRE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  action: ['car chase', 'martial arts', 'explosion', 'bodyguard', 'mercenary'],
  adventure: ['treasure hunt', 'jungle', 'expedition', 'lost city', 'pirates'],
  animation: ['talking animals', 'hand drawn', 'stop motion'],
  anime: ['mecha', 'samurai', 'shonen', 'magical girl', 'spirit world'],
  comedy: ['road trip', 'wedding', 'misunderstanding', 'roommates', 'slapstick'],
  crime: ['heist', 'mafia', 'detective', 'undercover', 'corruption'],
  documentary: ['nature', 'history', 'true crime', 'biography', 'wildlife'],
  drama: ['family', 'grief', 'coming of age', 'small town', 'inheritance'],
  fantasy: ['dragons', 'magic', 'prophecy', 'quest', 'enchanted forest'],
  horror: ['haunted house', 'possession', 'zombies', 'slasher', 'cursed'],
  'kids-family': ['friendship', 'school', 'talking animals', 'learning', 'adventure'],
  music: ['band', 'concert', 'musical', 'songwriter', 'jazz'],
  mystery: ['whodunit', 'disappearance', 'amateur sleuth', 'secret society', 'cold case'],
  reality: ['competition', 'dating', 'makeover', 'cooking', 'island'],
  romance: ['first love', 'second chance', 'long distance', 'wedding', 'summer romance'],
  'sci-fi': ['time travel', 'space station', 'artificial intelligence', 'alien invasion', 'dystopia'],
  sports: ['underdog', 'boxing', 'football', 'championship', 'coach'],
  'stand-up': ['observational', 'storytelling', 'satire', 'one-liners'],
  thriller: ['conspiracy', 'kidnapping', 'serial killer', 'espionage', 'revenge'],
  western: ['frontier', 'outlaw', 'gold rush', 'cattle drive', 'duel'],
};
const COMMON_KEYWORDS = ['based on a true story', 'based on a novel', 'ensemble cast', 'award winner', 'cult classic'];

/** Original titles in another language: words to combine, per language (BCP 47 code). */
const ORIGINAL_WORDS: Readonly<Record<string, { first: readonly string[]; second: readonly string[]; join: string }>> =
  {
    ja: {
      first: ['夜', '影', '桜', '龍', '星', '風', '月', '海', '炎', '雪', '夢', '空'],
      second: ['刀', '城', '道', '花', '声', '島', '森', '歌', '門', '雨'],
      join: 'の',
    },
    ko: {
      first: ['밤', '바다', '별', '비밀', '도시', '겨울', '푸른', '마지막', '붉은', '작은'],
      second: ['정원', '그림자', '약속', '기억', '항구', '노래', '여름', '편지'],
      join: '의 ',
    },
    zh: {
      first: ['长', '夜', '春', '江', '山', '金', '白', '北'],
      second: ['城', '河', '雨', '歌', '梦', '路', '风', '门'],
      join: '之',
    },
    es: {
      first: ['El Jardín', 'La Canción', 'El Último Verano', 'La Noche', 'El Corazón'],
      second: ['de Bogotá', 'del Río', 'de Sevilla', 'de Mañana', 'del Pájaro'],
      join: ' ',
    },
    fr: {
      first: ['Les Étoiles', 'Le Café', "L'Été", 'La Rivière', 'Les Années'],
      second: ['de Paris', 'du Nord', 'Perdues', 'Oubliées', 'de Lumière'],
      join: ' ',
    },
    // Scripts with capitals and accents of their own: search folds both (search_fold, 0013).
    el: {
      first: ['Η Νύχτα', 'Το Καλοκαίρι', 'Η Θάλασσα', 'Το Τραγούδι', 'Ο Δρόμος'],
      second: ['της Αθήνας', 'του Λιμανιού', 'των Αστεριών', 'του Βοριά'],
      join: ' ',
    },
    ru: {
      first: ['Зимний', 'Последний', 'Тихий', 'Красный', 'Северный'],
      second: ['Сад', 'Берег', 'Поезд', 'Город', 'Ветер'],
      join: ' ',
    },
  };

function person(rng: Rng): string {
  return `${rng.pick(GIVEN_NAMES)} ${rng.pick(FAMILY_NAMES)}`;
}

/** The credit, keyword and original-title rows of the index-th top-level title (`title`). */
export function titleCredits(
  index: number,
  seed: string,
  title: TitleRow,
  primary: string,
  genres: readonly string[],
): { credits: TitleCreditRow[]; keywords: TitleKeywordRow[]; originalNames: TitleOriginalNameRow[] } {
  const rng = new Rng(`${seed}\u0000credits\u0000${index}`);
  const credits: TitleCreditRow[] = [];
  const people = new Set<string>();
  const add = (role: TitleCreditRow['role'], characterName: string | null): void => {
    let name = person(rng);
    for (let attempt = 0; attempt < 8 && people.has(name); attempt++) name = person(rng);
    if (people.has(name)) return;
    people.add(name);
    credits.push({
      title_id: title.id,
      position: credits.length + 1,
      person_name: name,
      role,
      character_name: characterName,
    });
  };
  const documentaryLike = genres.includes('documentary') || genres.includes('stand-up') || genres.includes('reality');
  const castSize = documentaryLike ? rng.int(1, 2) : rng.int(3, 6);
  for (let i = 0; i < castSize; i++) add('actor', documentaryLike ? null : `${rng.pick(GIVEN_NAMES)}`);
  add(title.type === 'series' ? 'creator' : 'director', null);
  if (rng.chance(0.5)) add('writer', null);

  const pool = [...new Set(genres.flatMap((g) => GENRE_KEYWORDS[g] ?? []))];
  const chosen = rng.sample(pool, rng.int(2, 4));
  if (rng.chance(0.2)) chosen.push(rng.pick(COMMON_KEYWORDS));
  const keywords = [...new Set(chosen)].map((keyword) => ({ title_id: title.id, keyword }));

  const originalNames: TitleOriginalNameRow[] = [];
  // Greek and Cyrillic were added later, drawn last, so that no earlier title's rows changed.
  const language =
    primary === 'anime'
      ? 'ja'
      : rng.chance(0.12)
        ? rng.pick(['ko', 'zh', 'es', 'fr', 'ja'])
        : rng.chance(0.05)
          ? rng.pick(['el', 'ru'])
          : null;
  if (language) {
    const words = ORIGINAL_WORDS[language];
    if (words) {
      originalNames.push({
        title_id: title.id,
        language,
        name: `${rng.pick(words.first)}${words.join}${rng.pick(words.second)}`,
      });
    }
  }
  return { credits, keywords, originalNames };
}
