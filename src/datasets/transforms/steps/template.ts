/**
 * `template`: renders each record into the text field training reads, in a prompt format
 * (alpaca, chatml, llama-2, completion) or a custom `{{field}}` template. Each format reads
 * named fields (`fields:` maps them to your columns); the result goes to `output` (default
 * `text`), which becomes the version's text field.
 */
import { z } from 'zod';
import { alpaca, chatml, completion, fillTemplate, llama2, messagesOf, templateFields } from './prompt-formats.js';
import { asText, withColumn, type Row, type StepKind } from '../types.js';

/** The fields each format reads, and which of them may be missing. */
const FORMAT_FIELDS = {
  alpaca: { required: ['instruction', 'output'], optional: ['input'] },
  chatml: { required: ['messages'], optional: [] },
  'llama-2': { required: ['messages'], optional: [] },
  completion: { required: ['prompt', 'completion'], optional: [] },
  custom: { required: [], optional: [] },
} as const satisfies Record<string, { required: readonly string[]; optional: readonly string[] }>;
type Format = keyof typeof FORMAT_FIELDS;

const Options = z
  .strictObject({
    format: z.enum(Object.keys(FORMAT_FIELDS) as [Format, ...Format[]]),
    /** For format custom: the text with `{{field}}` slots. */
    template: z.string().min(1).optional(),
    /** The format's field → your column, e.g. {instruction: question, output: answer}. */
    fields: z.record(z.string(), z.string().min(1)).default({}),
    /** A system prompt for chatml and llama-2 (used when the messages start without one). */
    system: z.string().optional(),
    /** Between prompt and completion (format completion). */
    separator: z.string().default('\n'),
    output: z.string().min(1).max(200).default('text'),
  })
  .superRefine((o, ctx) => {
    if (o.format === 'custom' && o.template === undefined) ctx.addIssue({ code: 'custom', path: ['template'], message: 'format custom needs a template, e.g. template: "Q: {{question}}\\nA: {{answer}}"' });
    if (o.format !== 'custom' && o.template !== undefined) ctx.addIssue({ code: 'custom', path: ['template'], message: `template is only for format custom (format ${o.format} has its own)` });
    const known: readonly string[] = [...FORMAT_FIELDS[o.format].required, ...FORMAT_FIELDS[o.format].optional];
    for (const key of Object.keys(o.fields)) {
      if (!known.includes(key)) ctx.addIssue({ code: 'custom', path: ['fields', key], message: `format ${o.format} reads ${known.join(', ') || 'no named fields'}, not "${key}"` });
    }
  });
type Options = z.infer<typeof Options>;

export const templateStep: StepKind<Options> = {
  kind: 'template',
  summary: 'renders records into the text field: alpaca, chatml, llama-2, completion or a custom {{field}} template',
  example: 'template: {format: alpaca, fields: {instruction: question, output: answer}}',
  options: Options,
  keepsSchema: false,
  plan(options, state, ctx) {
    if (options.format === 'custom') {
      for (const { field } of templateFields(options.template!)) ctx.requireField(state, field, ['template']);
    } else {
      const { required, optional } = FORMAT_FIELDS[options.format];
      for (const role of required) ctx.requireField(state, options.fields[role] ?? role, options.fields[role] ? ['fields', role] : ['format']);
      for (const role of optional) if (options.fields[role] !== undefined) ctx.requireField(state, options.fields[role], ['fields', role]);
    }
    return { columns: withColumn(state, { name: options.output, type: 'VARCHAR' }), textField: options.output };
  },
  create(options, state) {
    const col = (role: string) => options.fields[role] ?? role;
    const hasInput = state.columns.some((c) => c.name === col('input'));
    let index = 0;
    const render = (row: Row): string => {
      const where = `record ${index}`;
      switch (options.format) {
        case 'alpaca':
          return alpaca(asText(row[col('instruction')]), hasInput ? asText(row[col('input')]) : '', asText(row[col('output')]));
        case 'chatml':
          return chatml(messagesOf(row[col('messages')], where), options.system);
        case 'llama-2':
          return llama2(messagesOf(row[col('messages')], where), options.system, where);
        case 'completion':
          return completion(asText(row[col('prompt')]), asText(row[col('completion')]), options.separator);
        case 'custom':
          return fillTemplate(options.template!, row);
      }
    };
    return {
      kind: 'record',
      push(row, emit) {
        row[options.output] = render(row);
        index++;
        emit(row);
      },
    };
  },
};
