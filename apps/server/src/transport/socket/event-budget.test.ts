import { describe, expect, it } from 'vitest';
import { EVENT_BUDGET_WINDOW_MS, EventBudget } from './connection.js';

describe('EventBudget (per socket connection)', () => {
  it('allows the limit, refuses up to twice it, then says disconnect; a new window starts afresh', () => {
    const budget = new EventBudget(3);
    const start = 1_000_000;
    const verdicts = Array.from({ length: 7 }, (_, i) => budget.take(start + i));
    expect(verdicts).toEqual(['ok', 'ok', 'ok', 'refuse', 'refuse', 'refuse', 'disconnect']);
    expect(budget.retryAfterSeconds(start + 1_500)).toBe(
      Math.ceil((EVENT_BUDGET_WINDOW_MS - 1_500) / 1000),
    );
    expect(budget.take(start + EVENT_BUDGET_WINDOW_MS)).toBe('ok');
  });

  it('the window starts at the first event, not on a clock boundary', () => {
    const budget = new EventBudget(1);
    expect(budget.take(5_000)).toBe('ok');
    expect(budget.take(5_000 + EVENT_BUDGET_WINDOW_MS - 1)).toBe('refuse');
    expect(budget.take(5_000 + EVENT_BUDGET_WINDOW_MS)).toBe('ok');
  });
});
