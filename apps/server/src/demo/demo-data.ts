import type { ProfileRow } from '../domain/types.js';
import type { Repositories } from '../repositories/store.js';

/** Fixed ids so the README's walk-through and the web client can name them. */
export const DEMO_IDS = {
  client: '11111111-1111-4111-8111-111111111111',
  reader: '22222222-2222-4222-8222-222222222222',
  admin: '33333333-3333-4333-8333-333333333333',
  monitor: '44444444-4444-4444-8444-444444444444',
  service: '55555555-5555-4555-8555-555555555555',
  booking: '66666666-6666-4666-8666-666666666666',
} as const;

export const DEMO_PROFILES: ProfileRow[] = [
  { id: DEMO_IDS.client, firstName: 'Sarah', lastName: 'Johnson', avatarUrl: null, role: 'client' },
  { id: DEMO_IDS.reader, firstName: 'Samia', lastName: 'Reader', avatarUrl: null, role: 'reader' },
  { id: DEMO_IDS.admin, firstName: 'Ada', lastName: 'Admin', avatarUrl: null, role: 'admin' },
  { id: DEMO_IDS.monitor, firstName: 'Mo', lastName: 'Monitor', avatarUrl: null, role: 'monitor' },
];

/** Demo profiles, a service and a booking between the demo client and reader. Never overwrites. */
export async function seedDemoData(repos: Repositories): Promise<void> {
  await repos.profiles.insertMissing(DEMO_PROFILES);
  await repos.bookings.insertService({
    id: DEMO_IDS.service,
    name: 'Full Tarot Reading',
    type: 'comprehensive',
  });
  await repos.bookings.insertBooking({
    id: DEMO_IDS.booking,
    clientId: DEMO_IDS.client,
    readerId: DEMO_IDS.reader,
    serviceId: DEMO_IDS.service,
    status: 'confirmed',
    scheduledAt: new Date(Date.now() + 24 * 3600 * 1000),
  });
}
