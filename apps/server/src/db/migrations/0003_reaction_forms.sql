-- One reaction per emoji, whatever its variation selectors: "❤" (U+2764) and "❤️" (U+2764
-- U+FE0F) were stored as two reactions. The service now stores the fully-qualified form
-- (contracts `fullyQualifiedEmoji`); this brings the rows stored before it to that form. A user
-- who had both forms on one message keeps one reaction, with the time of the first.
--
-- The function is `fullyQualifiedEmoji` in SQL: drop every VS16, then put one after each emoji
-- character that is text by default (Emoji=Yes, Emoji_Presentation=No) unless a skin tone
-- (U+1F3FB..U+1F3FF) follows. The class below is that set as the JavaScript runtime knows it
-- (Unicode 17), generated with
--   for (let c = 0; c <= 0x10ffff; c++) /^(?!\p{Emoji_Presentation})\p{Emoji}$/u.test(String.fromCodePoint(c))
-- and checked against `fullyQualifiedEmoji` by test/migrations.test.ts. Only rows stored before this
-- migration pass through it; new ones are qualified by the contracts.
CREATE FUNCTION pg_temp.fully_qualified_emoji(reaction text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(
    replace(reaction, chr(65039), ''),
    '([' ||
    '\u0023\u002A\u0030-\u0039\u00A9\u00AE\u203C\u2049\u2122\u2139\u2194-\u2199' ||
    '\u21A9-\u21AA\u2328\u23CF\u23ED-\u23EF\u23F1-\u23F2\u23F8-\u23FA\u24C2\u25AA-\u25AB' ||
    '\u25B6\u25C0\u25FB-\u25FC\u2600-\u2604\u260E\u2611\u2618\u261D\u2620\u2622-\u2623' ||
    '\u2626\u262A\u262E-\u262F\u2638-\u263A\u2640\u2642\u265F-\u2660\u2663\u2665-\u2666' ||
    '\u2668\u267B\u267E\u2692\u2694-\u2697\u2699\u269B-\u269C\u26A0\u26A7\u26B0-\u26B1' ||
    '\u26C8\u26CF\u26D1\u26D3\u26E9\u26F0-\u26F1\u26F4\u26F7-\u26F9\u2702\u2708-\u2709' ||
    '\u270C-\u270D\u270F\u2712\u2714\u2716\u271D\u2721\u2733-\u2734\u2744\u2747' ||
    '\u2763-\u2764\u27A1\u2934-\u2935\u2B05-\u2B07\u3030\u303D\u3297\u3299' ||
    '\U0001F170-\U0001F171\U0001F17E-\U0001F17F\U0001F202\U0001F237\U0001F321' ||
    '\U0001F324-\U0001F32C\U0001F336\U0001F37D\U0001F396-\U0001F397\U0001F399-\U0001F39B' ||
    '\U0001F39E-\U0001F39F\U0001F3CB-\U0001F3CE\U0001F3D4-\U0001F3DF\U0001F3F3\U0001F3F5' ||
    '\U0001F3F7\U0001F43F\U0001F441\U0001F4FD\U0001F549-\U0001F54A\U0001F56F-\U0001F570' ||
    '\U0001F573-\U0001F579\U0001F587\U0001F58A-\U0001F58D\U0001F590\U0001F5A5\U0001F5A8' ||
    '\U0001F5B1-\U0001F5B2\U0001F5BC\U0001F5C2-\U0001F5C4\U0001F5D1-\U0001F5D3' ||
    '\U0001F5DC-\U0001F5DE\U0001F5E1\U0001F5E3\U0001F5E8\U0001F5EF\U0001F5F3\U0001F5FA' ||
    '\U0001F6CB\U0001F6CD-\U0001F6CF\U0001F6E0-\U0001F6E5\U0001F6E9\U0001F6F0\U0001F6F3' ||
    '])(?![\U0001F3FB-\U0001F3FF])',
    '\1' || chr(65039),
    'g')
$$;
-- Only the rows whose form changes (usually none).
CREATE TEMPORARY TABLE reaction_forms ON COMMIT DROP AS
  SELECT message_id, user_id, reaction, created_at, qualified
  FROM (
    SELECT message_id, user_id, reaction, created_at,
           pg_temp.fully_qualified_emoji(reaction) AS qualified
    FROM message_reactions
  ) r
  WHERE reaction <> qualified;
-- A qualified row that stays takes the time of the earliest form it absorbs (first-use order).
UPDATE message_reactions r SET created_at = f.first_at
  FROM (
    SELECT message_id, user_id, qualified, min(created_at) AS first_at
    FROM reaction_forms GROUP BY message_id, user_id, qualified
  ) f
  WHERE r.message_id = f.message_id AND r.user_id = f.user_id AND r.reaction = f.qualified
    AND r.created_at > f.first_at;
-- Forms whose qualified row exists go; of several forms without one, the earliest stays.
DELETE FROM message_reactions r
  USING reaction_forms f
  WHERE r.message_id = f.message_id AND r.user_id = f.user_id AND r.reaction = f.reaction
    AND (
      EXISTS (
        SELECT 1 FROM message_reactions q
        WHERE q.message_id = f.message_id AND q.user_id = f.user_id AND q.reaction = f.qualified
      )
      OR EXISTS (
        SELECT 1 FROM reaction_forms o
        WHERE o.message_id = f.message_id AND o.user_id = f.user_id
          AND o.qualified = f.qualified AND (o.created_at, o.reaction) < (f.created_at, f.reaction)
      )
    );
UPDATE message_reactions r SET reaction = f.qualified
  FROM reaction_forms f
  WHERE r.message_id = f.message_id AND r.user_id = f.user_id AND r.reaction = f.reaction;
DROP FUNCTION pg_temp.fully_qualified_emoji(text);
