-- The account scope of a read, written once: whether `account` is among the business numbers a caller may
-- see. `all_but` true: every account except `accounts`; false: only `accounts` (possibly none). Every
-- query that narrows rows to a caller's accounts calls this (through `projections::scope`), never a copy.
--
-- A plain, non-strict SQL function of one expression: the planner inlines it into the query, so it reads
-- and plans exactly as the expression written out would (the account indexes stay usable).
create function account_in_scope(account text, all_but boolean, accounts text[]) returns boolean
language sql immutable parallel safe as $$
    select (all_but and account <> all(accounts)) or (not all_but and account = any(accounts))
$$;
