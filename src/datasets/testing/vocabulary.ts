/**
 * Word lists and sentence templates for an English-ish corpus: slots are filled at random so that
 * unrelated records share almost no word 5-grams, as unrelated real documents do.
 */
import type { Rng } from './rng.js';

const WORDS: Readonly<Record<string, readonly string[]>> = {
  noun: ('account analysis answer apple archive article audience bakery balance bicycle bridge budget cabinet camera canal ' +
    'candle castle chapter cheese circuit climate coffee compass concert contract cottage council crystal customer dataset ' +
    'debate desert diagram doctor engine estate factory farmer festival fiddle forest fortune garden glacier harbor helmet ' +
    'highway island journal kettle kitchen ladder lantern lecture library machine market meadow melody mirror monitor ' +
    'mountain museum notebook ocean orchard package painter palace pencil pepper planet pocket portrait printer project ' +
    'puzzle quarry rabbit railway recipe report ribbon river rocket saddle sailor scanner schedule sculpture season shelter ' +
    'signal silver sketch soldier spindle station statue story student summit surgeon sweater teacher telescope tenant ' +
    'theater thunder ticket timber tower tractor traveler tunnel umbrella valley village violin volcano wagon wallet ' +
    'warehouse weather whistle window winter workshop writer yard').split(' '),
  adjective: ('ancient angry bitter blue brave bright broken busy calm careful cheap clever cold crisp curious damp dark ' +
    'delicate dusty eager early elegant empty fancy fierce fragile fresh gentle giant golden graceful green hidden hollow ' +
    'honest humble icy jolly keen large lazy little lively lonely loud lucky massive mellow modern narrow noisy odd old ' +
    'orange patient plain polite proud quiet rapid rare red rough round rusty scarlet secret serious shiny silent simple ' +
    'sleepy slow smooth soft solid sour spicy steady sticky strange strong sturdy sunny sweet swift tall tender thin ' +
    'tidy tiny tired vast velvet violet warm weary wide wild windy wise wooden young').split(' '),
  verb: ('admired adjusted announced arranged assembled balanced borrowed carried chased checked cleaned collected compared ' +
    'counted covered crossed decorated delivered described designed discovered divided dragged drew examined explored ' +
    'fixed folded followed gathered guarded guided handled hid improved inspected invented juggled launched lifted ' +
    'measured mended moved noticed opened ordered packed painted photographed planted polished prepared printed pulled ' +
    'pushed questioned raised recorded repaired rescued returned sailed scanned searched selected shared signed sketched ' +
    'sorted studied tested traded translated trimmed updated visited washed watched weighed welcomed wrapped wrote').split(' '),
  name: ('Ada Alma Amir Anton Aria Bruno Carla Chen Dara Diego Elif Elena Emeka Farah Felix Greta Hana Hugo Ines Ivan ' +
    'Jonas Kai Keiko Lars Lena Liam Lucia Malik Marta Mateo Mina Nadia Nils Noor Olga Omar Paula Priya Quinn Rafael ' +
    'Rosa Sami Sofia Tariq Tomas Uma Vera Viktor Wanda Yara Yusuf Zoe').split(' '),
  place: ('Aberdeen Alicante Antwerp Bergen Bilbao Bologna Bordeaux Bremen Brno Cadiz Cork Dijon Dresden Dundee Florence ' +
    'Galway Geneva Ghent Graz Hamburg Krakow Leeds Leipzig Lille Linz Lisbon Lyon Malmo Marseille Munich Nantes Naples ' +
    'Oslo Porto Prague Riga Rotterdam Salzburg Seville Split Tallinn Toulouse Trieste Turin Utrecht Valencia Verona ' +
    'Vienna Vilnius Warsaw York Zagreb Zurich').split(' '),
  adverb: ('quickly slowly carefully quietly eagerly gently boldly calmly happily loudly neatly patiently proudly rarely ' +
    'seldom sharply softly steadily suddenly warmly wisely briefly barely clearly freely kindly').split(' '),
  time: ('on Monday|on Tuesday|last week|in the morning|after lunch|before dawn|during the storm|at noon|in the evening|' +
    'every spring|in late autumn|on the weekend|before the meeting|after the concert|at midnight').split('|'),
};

// {noun} {adjective} {verb} {name} {place} {adverb} {time} {num} {year}
const TEMPLATES: readonly string[] = [
  'The {adjective} {noun} {verb} the {noun} near {place} {time}.',
  '{name} {verb} a {adjective} {noun} and {adverb} {verb} the {noun}.',
  'In {place}, the {noun} was {adverb} {verb} by a {adjective} {noun}.',
  'Nobody expected the {noun} from {place} to be so {adjective}.',
  '{name} and {name} {verb} {num} {noun}s {time}.',
  'According to the {noun} report, {num} percent of the {noun}s in {place} were {adjective}.',
  'The {noun} {verb} {adverb}, while the {adjective} {noun} waited by the {noun}.',
  'After the {noun} of {year}, {name} {verb} the {adjective} {noun} in {place}.',
  'Every {noun} needs a {adjective} {noun}, said {name} {time}.',
  'Why did the {adjective} {noun} {adverb} leave the {noun} in {place}?',
  'The old {noun} near the {noun} was {verb} {time}, and {name} {verb} it.',
  'A {adjective} {noun} costs about {num} euros at the {noun} in {place}.',
  '{name} {adverb} {verb} the {noun}, then {verb} a {adjective} {noun} for the {noun}.',
  'We {verb} the {noun} and the {noun} {time}, but the {noun} stayed {adjective}.',
  'Between {year} and {year}, the {noun}s of {place} {verb} {num} {adjective} {noun}s.',
  'The {noun} behind the {adjective} {noun} {verb} a {noun} made of {noun}.',
  'If the {noun} is {adjective}, {name} will {adverb} check the {noun}.',
  'Travelers from {place} {verb} that the {noun} was {adjective} and {adjective}.',
];

/** One sentence from a random template. */
export function sentence(rng: Rng): string {
  return rng.pick(TEMPLATES).replace(/\{(\w+)\}/g, (_, slot: string) => {
    if (slot === 'num') return String(rng.int(2, 950));
    if (slot === 'year') return String(rng.int(1950, 2024));
    return rng.pick(WORDS[slot]!);
  });
}

/** A paragraph of n sentences. */
export function paragraph(rng: Rng, sentences: number): string {
  return Array.from({ length: sentences }, () => sentence(rng)).join(' ');
}

/** A random word of any kind (for edits). */
export function randomWord(rng: Rng): string {
  return rng.pick(rng.pick([WORDS['noun']!, WORDS['adjective']!, WORDS['verb']!, WORDS['adverb']!]));
}

export const FIRST_NAMES = WORDS['name']!;
export const PLACES = WORDS['place']!;
