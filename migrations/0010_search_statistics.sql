-- How many credentials a `q` word matches is estimated from the column's histogram: with the
-- default 100 entries a word that 2 % of credentials contain is often in none of them, the
-- planner then expects a handful of matches and sorts every real one instead of walking the
-- list order. A finer histogram keeps the estimate, and the plan, steady.
ALTER TABLE credentials ALTER COLUMN search_short SET STATISTICS 1000;
ANALYZE credentials;
