/** Server-side calls for setting the stage (no browser Origin, like a marketplace backend). */
export async function devToken(baseUrl: string, userId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/dev/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: userId }),
  });
  if (!response.ok) throw new Error(`dev sign-in failed: ${response.status}`);
  const body = (await response.json()) as { data: { token: string } };
  return body.data.token;
}

export async function api<T>(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { data: T }).data;
}

export const DEMO = {
  sarah: '11111111-1111-4111-8111-111111111111',
  samia: '22222222-2222-4222-8222-222222222222',
  ada: '33333333-3333-4333-8333-333333333333',
} as const;
