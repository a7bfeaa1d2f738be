import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '../src/media/blob-store.js';
import { blobStoreContract } from './support/blob-store-contract.js';

const root = join(tmpdir(), `chat-blobs-${randomUUID()}`);
blobStoreContract('local disk', () => createLocalBlobStore(root));
