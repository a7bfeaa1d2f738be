import { createClient } from '@supabase/supabase-js';
import { createSupabaseBlobStore } from '../src/media/blob-store.js';
import { blobStoreContract } from './support/blob-store-contract.js';

// Included by vitest.config.ts only when SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are set:
// a real Supabase project is outside this machine's network.
const url = process.env.SUPABASE_URL ?? '';
const key = process.env.SUPABASE_SERVICE_ROLE_KEY ?? '';
const bucket = process.env.SUPABASE_STORAGE_BUCKET ?? 'chat-files';
blobStoreContract('Supabase Storage', () =>
  createSupabaseBlobStore(createClient(url, key, { auth: { persistSession: false } }), bucket),
);
