/**
 * The drawing of a title's artwork as SVG (pure; origin/src/artwork-render.ts rasterises it). A
 * palette and a motif per genre; the title's own art is drawn from its first genre in
 * `sortedGenres` order, and a genre variant (the artwork experiment's arms) is a different cut:
 * that genre's palette, its motif full-bleed and the genre named on a banner, so the arms look
 * different even for a title of one genre. Same inputs, same SVG.
 */
import { ARTWORK_ASPECT, artworkHeight, sortedGenres, type ArtworkInputs } from '../../../core/artwork.ts';

export interface Palette {
  /** Background, top (or left) and bottom (or right). */
  from: string;
  to: string;
  /** The motif and the banner. */
  accent: string;
  /** Text. */
  ink: string;
}

type Motif = (rand: () => number, w: number, h: number, color: string) => string;

/**
 * Every title is drawn in `ink` over dark ground (the shade at the foot of a poster or backdrop,
 * the black plate of a genre cut), so each ink is light; the tests hold every palette to WCAG's
 * 4.5:1 there.
 */
export const PALETTES: Readonly<Record<string, Palette>> = {
  action: { from: '#3a0a0a', to: '#120303', accent: '#ff5a1f', ink: '#fff4e8' },
  adventure: { from: '#0f3b2e', to: '#06160f', accent: '#f2b33d', ink: '#fdf7e3' },
  animation: { from: '#2a4bd7', to: '#111f63', accent: '#ffd23f', ink: '#ffffff' },
  anime: { from: '#5b1a5e', to: '#1c0620', accent: '#ff7eb6', ink: '#fff0f7' },
  comedy: { from: '#d98e1c', to: '#8a4208', accent: '#fff3b0', ink: '#fff8e8' },
  crime: { from: '#1d2430', to: '#07090d', accent: '#d9c27a', ink: '#f4f1e6' },
  documentary: { from: '#394a3f', to: '#141c17', accent: '#c6d8af', ink: '#f2f6ec' },
  drama: { from: '#4a1d2f', to: '#160810', accent: '#e8a87c', ink: '#fbeee6' },
  fantasy: { from: '#27195c', to: '#0a0620', accent: '#b8a1ff', ink: '#f3efff' },
  horror: { from: '#1a0000', to: '#000000', accent: '#b00020', ink: '#f5e6e6' },
  'kids-family': { from: '#39b8e8', to: '#1760a8', accent: '#ffe45e', ink: '#ffffff' },
  music: { from: '#12063d', to: '#04010f', accent: '#00e0c6', ink: '#e9fffb' },
  mystery: { from: '#1b2a3a', to: '#070c12', accent: '#8fb8de', ink: '#eef5fb' },
  reality: { from: '#e0457b', to: '#7d1540', accent: '#ffe0ec', ink: '#ffffff' },
  romance: { from: '#b83b5e', to: '#4d0f26', accent: '#ffc6d3', ink: '#fff5f7' },
  'sci-fi': { from: '#062a3d', to: '#010a10', accent: '#3df2ff', ink: '#e6fdff' },
  sports: { from: '#0d5c2d', to: '#03240f', accent: '#f5f5f5', ink: '#ffffff' },
  'stand-up': { from: '#2d1b0e', to: '#0c0703', accent: '#ffcf70', ink: '#fff6e0' },
  thriller: { from: '#222222', to: '#050505', accent: '#e3e34b', ink: '#f7f7f2' },
  western: { from: '#c2692b', to: '#4f210a', accent: '#ffe2a8', ink: '#fff6e6' },
};
export const HOUSE: Palette = { from: '#2b2f3a', to: '#0d0f14', accent: '#e50914', ink: '#ffffff' };

/** WCAG 2 relative luminance of a `#rrggbb` colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

/** The genre banner's text: the palette's dark end or its ink, whichever reads better on the accent. */
export function bannerInk(palette: Palette): string {
  return contrastRatio(palette.to, palette.accent) >= contrastRatio(palette.ink, palette.accent)
    ? palette.to
    : palette.ink;
}

const n = (x: number) => Math.round(x * 10) / 10;

const MOTIFS: Readonly<Record<string, Motif>> = {
  action: (r, w, h, c) =>
    Array.from({ length: 7 }, (_, i) => {
      const x = n(w * (i / 6) + r() * 40);
      return `<polygon points="${x},0 ${n(x + 60)},0 ${n(x - w * 0.4)},${h} ${n(x - w * 0.4 - 60)},${h}" fill="${c}" opacity="${n(0.3 + r() * 0.5)}"/>`;
    }).join(''),
  adventure: (r, w, h, c) =>
    [0.55, 0.7]
      .map((base, i) => {
        const peaks = Array.from({ length: 6 }, (_, k) => `${n((w * k) / 5)},${n(h * (base - 0.25 * r()))}`).join(' ');
        return `<polygon points="0,${h} ${peaks} ${w},${h}" fill="${c}" opacity="${0.35 + 0.3 * i}"/>`;
      })
      .join(''),
  animation: (r, w, h, c) =>
    Array.from(
      { length: 14 },
      () =>
        `<circle cx="${n(r() * w)}" cy="${n(r() * h)}" r="${n(20 + r() * w * 0.12)}" fill="${c}" opacity="${n(0.25 + r() * 0.5)}"/>`,
    ).join(''),
  anime: (r, w, h, c) => {
    const cx = n(w * (0.3 + 0.4 * r()));
    const cy = n(h * 0.35);
    const rays = Array.from({ length: 16 }, (_, i) => {
      const a = (i / 16) * Math.PI * 2;
      const b = a + Math.PI / 32;
      const far = Math.max(w, h) * 1.5;
      return `<polygon points="${cx},${cy} ${n(cx + far * Math.cos(a))},${n(cy + far * Math.sin(a))} ${n(cx + far * Math.cos(b))},${n(cy + far * Math.sin(b))}" fill="${c}" opacity="0.35"/>`;
    }).join('');
    return `${rays}<circle cx="${cx}" cy="${cy}" r="${n(w * 0.16)}" fill="${c}"/>`;
  },
  comedy: (r, w, h, c) =>
    Array.from({ length: 40 }, () => {
      const x = n(r() * w);
      const y = n(r() * h);
      return `<rect x="${x}" y="${y}" width="${n(8 + r() * 22)}" height="${n(6 + r() * 12)}" transform="rotate(${n(r() * 180)} ${x} ${y})" fill="${c}" opacity="${n(0.4 + r() * 0.5)}"/>`;
    }).join(''),
  crime: (r, w, h, c) =>
    Array.from(
      { length: 12 },
      (_, i) =>
        `<rect x="0" y="${n((h * i) / 12)}" width="${w}" height="${n(h / 30)}" fill="${c}" opacity="${n(0.15 + 0.25 * r())}"/>`,
    ).join(''),
  documentary: (r, w, h, c) => {
    const step = w / 8;
    const lines: string[] = [];
    for (let x = 0; x <= w; x += step) lines.push(`<line x1="${n(x)}" y1="0" x2="${n(x)}" y2="${h}"/>`);
    for (let y = 0; y <= h; y += step) lines.push(`<line x1="0" y1="${n(y)}" x2="${w}" y2="${n(y)}"/>`);
    const dot = `<circle cx="${n(w * (0.2 + 0.6 * r()))}" cy="${n(h * (0.2 + 0.4 * r()))}" r="${n(step * 0.6)}" fill="${c}" opacity="0.7"/>`;
    return `<g stroke="${c}" stroke-width="2" opacity="0.4">${lines.join('')}</g>${dot}`;
  },
  drama: (r, w, h, c) =>
    Array.from(
      { length: 6 },
      (_, i) =>
        `<path d="M0,${n(h * (0.1 + i * 0.08))} Q${n(w / 2)},${n(h * (0.45 + i * 0.08 + 0.1 * r()))} ${w},${n(h * (0.1 + i * 0.08))}" fill="none" stroke="${c}" stroke-width="${n(6 + 10 * r())}" opacity="${n(0.25 + 0.1 * i)}"/>`,
    ).join(''),
  fantasy: (r, w, h, c) =>
    Array.from({ length: 22 }, () => {
      const x = r() * w;
      const y = r() * h * 0.75;
      const s = 6 + r() * 22;
      const pts = Array.from({ length: 10 }, (_, k) => {
        const a = (k / 10) * Math.PI * 2 - Math.PI / 2;
        const rad = k % 2 === 0 ? s : s * 0.4;
        return `${n(x + rad * Math.cos(a))},${n(y + rad * Math.sin(a))}`;
      }).join(' ');
      return `<polygon points="${pts}" fill="${c}" opacity="${n(0.4 + r() * 0.6)}"/>`;
    }).join(''),
  horror: (r, w, h, c) => {
    const drips = Array.from({ length: 10 }, (_, i) => {
      const x = n((w * (i + 0.5)) / 10);
      const len = n(h * (0.15 + 0.45 * r()));
      return `<rect x="${n(x - 9)}" y="0" width="18" height="${len}" rx="9" fill="${c}"/><circle cx="${x}" cy="${len}" r="14" fill="${c}"/>`;
    }).join('');
    return `<rect x="0" y="0" width="${w}" height="${n(h * 0.06)}" fill="${c}"/>${drips}`;
  },
  'kids-family': (r, w, h, c) =>
    Array.from({ length: 9 }, () => {
      const x = n(r() * w);
      const y = n(h * (0.1 + 0.5 * r()));
      const rad = n(w * (0.05 + 0.05 * r()));
      return `<line x1="${x}" y1="${n(y + rad)}" x2="${n(x + 10)}" y2="${n(y + rad * 4)}" stroke="${c}" stroke-width="3" opacity="0.8"/><ellipse cx="${x}" cy="${y}" rx="${rad}" ry="${n(rad * 1.2)}" fill="${c}" opacity="${n(0.6 + 0.4 * r())}"/>`;
    }).join(''),
  music: (r, w, h, c) =>
    Array.from({ length: 7 }, (_, i) => {
      const y = h * (0.15 + i * 0.08);
      const amp = 20 + r() * 50;
      return `<path d="M0,${n(y)} C${n(w * 0.25)},${n(y - amp)} ${n(w * 0.5)},${n(y + amp)} ${n(w * 0.75)},${n(y)} S${w},${n(y - amp)} ${w},${n(y)}" fill="none" stroke="${c}" stroke-width="5" opacity="${n(0.3 + 0.08 * i)}"/>`;
    }).join(''),
  mystery: (r, w, h, c) => {
    const cx = n(w * (0.3 + 0.4 * r()));
    const cy = n(h * (0.25 + 0.15 * r()));
    const rings = Array.from(
      { length: 8 },
      (_, i) =>
        `<circle cx="${cx}" cy="${cy}" r="${n(w * 0.06 * (i + 1))}" fill="none" stroke="${c}" stroke-width="4" opacity="${n(0.7 - i * 0.07)}"/>`,
    ).join('');
    return `${rings}<line x1="${n(cx + w * 0.12)}" y1="${n(cy + w * 0.12)}" x2="${n(cx + w * 0.3)}" y2="${n(cy + w * 0.3)}" stroke="${c}" stroke-width="${n(w * 0.03)}" stroke-linecap="round"/>`;
  },
  reality: (r, w, h, c) =>
    Array.from({ length: 9 }, (_, i) => {
      const cw = w / 3;
      const ch = h / 5;
      return `<rect x="${n((i % 3) * cw + 10)}" y="${n(Math.floor(i / 3) * ch + 10)}" width="${n(cw - 20)}" height="${n(ch - 20)}" rx="12" fill="${c}" opacity="${n(0.15 + 0.45 * r())}"/>`;
    }).join(''),
  romance: (r, w, h, c) =>
    Array.from({ length: 10 }, () => {
      const x = r() * w;
      const y = r() * h * 0.7;
      const s = 15 + r() * 45;
      return `<path d="M${n(x)},${n(y + s * 0.3)} C${n(x)},${n(y)} ${n(x - s)},${n(y)} ${n(x - s)},${n(y + s * 0.35)} C${n(x - s)},${n(y + s * 0.7)} ${n(x)},${n(y + s)} ${n(x)},${n(y + s * 1.2)} C${n(x)},${n(y + s)} ${n(x + s)},${n(y + s * 0.7)} ${n(x + s)},${n(y + s * 0.35)} C${n(x + s)},${n(y)} ${n(x)},${n(y)} ${n(x)},${n(y + s * 0.3)} Z" fill="${c}" opacity="${n(0.35 + 0.5 * r())}"/>`;
    }).join(''),
  'sci-fi': (r, w, h, c) => {
    const cx = n(w * (0.35 + 0.3 * r()));
    const cy = n(h * 0.3);
    const rad = n(w * 0.2);
    const stars = Array.from(
      { length: 40 },
      () =>
        `<circle cx="${n(r() * w)}" cy="${n(r() * h)}" r="${n(1 + r() * 2.5)}" fill="${c}" opacity="${n(0.4 + 0.6 * r())}"/>`,
    ).join('');
    return `${stars}<circle cx="${cx}" cy="${cy}" r="${rad}" fill="${c}" opacity="0.85"/><ellipse cx="${cx}" cy="${cy}" rx="${n(rad * 1.8)}" ry="${n(rad * 0.35)}" fill="none" stroke="${c}" stroke-width="6" transform="rotate(-18 ${cx} ${cy})"/>`;
  },
  sports: (r, w, h, c) =>
    `<g fill="none" stroke="${c}" stroke-width="5" opacity="0.5"><rect x="${n(w * 0.08)}" y="${n(h * 0.06)}" width="${n(w * 0.84)}" height="${n(h * 0.6)}"/><line x1="${n(w * 0.08)}" y1="${n(h * 0.36)}" x2="${n(w * 0.92)}" y2="${n(h * 0.36)}"/><circle cx="${n(w / 2)}" cy="${n(h * 0.36)}" r="${n(w * (0.1 + 0.05 * r()))}"/></g>`,
  'stand-up': (r, w, h, c) => {
    const x = n(w * (0.4 + 0.2 * r()));
    return `<polygon points="${n(x - 30)},0 ${n(x + 30)},0 ${n(x + w * 0.35)},${n(h * 0.7)} ${n(x - w * 0.35)},${n(h * 0.7)}" fill="${c}" opacity="0.3"/><circle cx="${x}" cy="${n(h * 0.35)}" r="${n(w * 0.05)}" fill="${c}"/><rect x="${n(x - 6)}" y="${n(h * 0.35)}" width="12" height="${n(h * 0.3)}" fill="${c}"/>`;
  },
  thriller: (r, w, h, c) =>
    Array.from({ length: 5 }, (_, i) => {
      const y = h * (0.12 + i * 0.12);
      const pts = Array.from(
        { length: 9 },
        (_, k) => `${n((w * k) / 8)},${n(y + (k % 2 === 0 ? -1 : 1) * (15 + 25 * r()))}`,
      ).join(' ');
      return `<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="6" opacity="${n(0.3 + 0.12 * i)}"/>`;
    }).join(''),
  western: (r, w, h, c) =>
    `<circle cx="${n(w * (0.3 + 0.4 * r()))}" cy="${n(h * 0.5)}" r="${n(w * 0.25)}" fill="${c}" opacity="0.75"/><rect x="0" y="${n(h * 0.52)}" width="${w}" height="${n(h * 0.5)}" fill="#000" opacity="0.35"/><path d="M${n(w * 0.1)},${n(h * 0.52)} v-${n(h * 0.12)} m0,${n(h * 0.04)} h-${n(w * 0.04)} v-${n(h * 0.04)} m${n(w * 0.04)},${n(h * 0.02)} h${n(w * 0.04)} v-${n(h * 0.05)}" stroke="#000" stroke-width="10" fill="none" opacity="0.6"/>`,
};

/** A deterministic PRNG (mulberry32) seeded from a string. */
function randomFrom(seed: string): () => number {
  let a = 0x9e3779b9;
  for (let i = 0; i < seed.length; i++) a = Math.imul(a ^ seed.charCodeAt(i), 0x85ebca6b) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A genre id as a label: `sci-fi` → `SCI-FI`, `kids-family` → `KIDS & FAMILY`. */
export function genreLabel(genre: string): string {
  return genre === 'kids-family' ? 'KIDS & FAMILY' : genre.toUpperCase();
}

/** Words into at most `maxLines` lines of about `perLine` characters (the last line takes the rest). */
export function wrapWords(text: string, perLine: number, maxLines: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.at(-1);
    if (last !== undefined && (last.length + 1 + word.length <= perLine || lines.length === maxLines)) {
      lines[lines.length - 1] = `${last} ${word}`;
    } else lines.push(word);
  }
  return lines;
}

/** Lines of the title at the largest size (down to `min`) that fits `width` in `maxLines`. */
function fitTitle(name: string, width: number, max: number, min: number, maxLines: number) {
  for (let size = max; ; size = Math.round(size * 0.88)) {
    const perLine = Math.max(4, Math.floor(width / (size * 0.6)));
    const lines = wrapWords(name, perLine, maxLines);
    const longest = Math.max(...lines.map((l) => l.length));
    if ((longest <= perLine && lines.length <= maxLines) || size <= min) return { size, lines };
  }
}

function textBlock(
  lines: string[],
  size: number,
  x: number,
  lastBaseline: number,
  ink: string,
  anchor: 'start' | 'middle',
): string {
  const lead = size * 1.12;
  return lines
    .map((line, i) => {
      const y = n(lastBaseline - (lines.length - 1 - i) * lead);
      return `<text x="${n(x)}" y="${y}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}" fill="${ink}" text-anchor="${anchor}">${escapeXml(line)}</text>`;
    })
    .join('');
}

/** The SVG of one rendering: `width` pixels wide at the kind's aspect. */
export function artworkSvg(inputs: ArtworkInputs, width: number): string {
  const aspect = ARTWORK_ASPECT[inputs.kind];
  // A fixed drawing space per kind, scaled to the asked-for width by the rasteriser.
  const W = inputs.kind === 'poster' ? 600 : inputs.kind === 'logo' ? 800 : 1600;
  const H = Math.round((W * aspect.height) / aspect.width);
  const height = artworkHeight(inputs.kind, width);
  const genre = inputs.variant ?? sortedGenres(inputs.genres)[0];
  const palette = (genre && PALETTES[genre]) || HOUSE;
  const motif = (genre && MOTIFS[genre]) || MOTIFS['drama']!;
  const rand = randomFrom(`${inputs.titleId}\u0000${inputs.kind}\u0000${inputs.variant ?? ''}`);
  const open = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${W} ${H}">`;

  if (inputs.kind === 'logo') {
    const { size, lines } = fitTitle(inputs.name, W * 0.9, 110, 36, 2);
    return `${open}${textBlock(lines, size, W / 2, H * 0.5 + (size * 1.12 * (lines.length - 1)) / 2 + size * 0.35, palette.accent, 'middle')}</svg>`;
  }

  const defs = `<defs><linearGradient id="bg" x1="0" y1="0" x2="${inputs.kind === 'poster' ? 0 : 1}" y2="${inputs.kind === 'poster' ? 1 : 0.4}"><stop offset="0" stop-color="${palette.from}"/><stop offset="1" stop-color="${palette.to}"/></linearGradient><linearGradient id="shade" x1="0" y1="0" x2="0" y2="1"><stop offset="0.45" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.85"/></linearGradient><radialGradient id="glow" cx="0.5" cy="0.4" r="0.75"><stop offset="0" stop-color="${palette.accent}" stop-opacity="0.55"/><stop offset="1" stop-color="${palette.to}" stop-opacity="1"/></radialGradient></defs>`;

  if (inputs.variant !== null && inputs.kind === 'poster') {
    // The genre cut: glow, the motif over everything, a banner naming the genre, the title centred.
    const banner = H * 0.11;
    const { size, lines } = fitTitle(inputs.name, W * 0.84, 84, 34, 4);
    const block = size * 1.12 * lines.length;
    return `${open}${defs}<rect width="${W}" height="${H}" fill="url(#glow)"/><g opacity="0.75">${motif(rand, W, H, palette.accent)}</g><rect x="${n(W * 0.06)}" y="${n(H * 0.5 - block / 2 - size * 0.6)}" width="${n(W * 0.88)}" height="${n(block + size * 0.7)}" rx="18" fill="#000" opacity="0.55"/>${textBlock(lines, size, W / 2, H * 0.5 + block / 2 - size * 0.3, palette.ink, 'middle')}<rect y="0" width="${W}" height="${n(banner)}" fill="${palette.accent}"/><text x="${W / 2}" y="${n(banner * 0.68)}" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${n(banner * 0.5)}" letter-spacing="6" fill="${bannerInk(palette)}" text-anchor="middle">${escapeXml(genreLabel(inputs.variant))}</text></svg>`;
  }

  const label = genre ? genreLabel(genre) : '';
  if (inputs.kind === 'poster') {
    const { size, lines } = fitTitle(inputs.name, W * 0.86, 76, 30, 4);
    const baseline = H * 0.9;
    return `${open}${defs}<rect width="${W}" height="${H}" fill="url(#bg)"/><g opacity="0.45">${motif(rand, W, H * 0.7, palette.accent)}</g><rect width="${W}" height="${H}" fill="url(#shade)"/>${textBlock(lines, size, W * 0.07, baseline, palette.ink, 'start')}<text x="${n(W * 0.07)}" y="${n(baseline - size * 1.12 * lines.length - 6)}" font-family="DejaVu Sans, sans-serif" font-size="26" letter-spacing="4" fill="${palette.accent}">${escapeXml(label)}</text></svg>`;
  }

  // Backdrops and episode thumbnails: the motif on the right, the name on the left.
  const thumb = inputs.kind === 'thumbnail';
  const { size, lines } = fitTitle(inputs.name, W * 0.5, thumb ? 110 : 120, 48, 3);
  return `${open}${defs}<rect width="${W}" height="${H}" fill="url(#bg)"/><g opacity="0.5" transform="translate(${n(W * 0.4)} 0)">${motif(rand, W * 0.6, H, palette.accent)}</g><rect width="${W}" height="${H}" fill="url(#shade)"/>${textBlock(lines, size, W * 0.05, H * 0.86, palette.ink, 'start')}<text x="${n(W * 0.05)}" y="${n(H * 0.86 - size * 1.12 * lines.length - 8)}" font-family="DejaVu Sans, sans-serif" font-size="36" letter-spacing="5" fill="${palette.accent}">${escapeXml(label)}</text></svg>`;
}
