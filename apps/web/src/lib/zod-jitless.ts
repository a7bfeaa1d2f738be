import { z } from 'zod';

// The page runs under a Content-Security-Policy without 'unsafe-eval'. zod compiles object
// parsers with `new Function` when it may, and finds out by trying once: under the policy that
// try is refused and reported as a violation. Jitless, it never tries (and parses the same).
z.config({ jitless: true });
