import { describe, expect, it } from 'vitest';
import { transformRows } from '../test-support.js';

describe('normalize', () => {
  it('NFKC folds compatibility forms; NFC only composes', async () => {
    const rows = [{ id: 1, text: 'ﬁnd the ｆｕｌｌ width e\u0301' }];
    const nfkc = await transformRows('steps:\n  - normalize: {form: NFKC}\n', rows);
    expect(nfkc.rows[0]!.text).toBe('find the full width é');
    const nfc = await transformRows('steps:\n  - normalize: {form: NFC}\n', rows);
    expect(nfc.rows[0]!.text).toBe('ﬁnd the ｆｕｌｌ width é');
    expect(nfc.rows[0]!.id).toBe(1); // other fields and their types pass through
  });

  it('normalizes only the fields named', async () => {
    const out = await transformRows('steps:\n  - normalize: {fields: [title]}\n', [{ title: 'ﬁle', text: 'ﬁle' }]);
    expect(out.rows[0]).toEqual({ title: 'file', text: 'ﬁle' });
  });
});
