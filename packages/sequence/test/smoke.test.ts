import { expect, it } from 'vitest';
import * as seq from '@stowage/sequence';
it('loads', () => { expect(seq).toBeDefined(); });
