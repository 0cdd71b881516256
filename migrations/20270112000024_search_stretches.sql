-- Keyword search ranks the newest matches of its words (KEYWORD_RANKED in projections/src/search/queries.rs).
-- Finding them cost up to half a second at a million documents when the words are common together
-- (bench/search-scale, rounds 6, 7 and 10): the planner either read every match (tens of thousands of
-- rows) or walked the newest documents backwards through most of the table.
--
-- The text index now also holds, for each document, tags that no text can produce (each holds a space,
-- which the parser never leaves in a lexeme): `~sL N`, the document's stretch of the log at four sizes
-- (its position divided by 2^L, L = 14, 17, 20, 23), and `~sL N H`, the same stretch of its number alone
-- (H: the MD5 of its account id, hex, so no account id can break the query syntax).
-- The keyword query asks the index for the newest stretch's matches first, then for older and larger
-- stretches (search_windows), and stops once it has enough. The index intersects from its rarest entry,
-- so a stretch of one number costs what that number holds there, not what the whole log does.
create function search_words(tsv tsvector, account text, log_position bigint) returns tsvector
    language sql immutable parallel safe
    as $$
        select tsv || array_to_tsvector(array[
            '~s14 ' || (log_position >> 14)::text, '~s17 ' || (log_position >> 17)::text,
            '~s20 ' || (log_position >> 20)::text, '~s23 ' || (log_position >> 23)::text,
            '~s14 ' || (log_position >> 14)::text || ' ' || md5(account),
            '~s17 ' || (log_position >> 17)::text || ' ' || md5(account),
            '~s20 ' || (log_position >> 20)::text || ' ' || md5(account),
            '~s23 ' || (log_position >> 23)::text || ' ' || md5(account)])
    $$;

-- The stretches that tile the log from `top` (a position) down to its start, newest first: single
-- stretches of 2^14 positions first, then each as large as the log already covered allows (aligned),
-- so a query whose words are rare visits few stretches and one whose words are common stops early.
create function search_windows(top bigint) returns setof text
    language plpgsql immutable parallel safe
    as $$
    declare
        upper bigint := ((greatest(top, 0) >> 14) + 1) << 14;
        covered bigint := 0;
        size int;
        l int;
    begin
        while upper > 0 loop
            size := 14;
            foreach l in array array[23, 20, 17] loop
                if upper % (1::bigint << l) = 0 and (1::bigint << l) <= covered then
                    size := l;
                    exit;
                end if;
            end loop;
            return next '~s' || size || ' ' || ((upper >> size) - 1)::text;
            covered := covered + (1::bigint << size);
            upper := upper - (1::bigint << size);
        end loop;
    end
    $$;

-- The words of a query restricted to one stretch (a tag of search_windows), and to one number
-- (`account`) or to the numbers a caller may read (`accounts`, unless `all_but`). A query without
-- lexemes stays without: it matches nothing, as before. A caller who may read no number gets null, which
-- matches nothing without reading the index.
create function search_in_window(words tsquery, win text, account text, all_but boolean, accounts text[])
    returns tsquery
    language sql immutable parallel safe
    as $$
        select case
            when numnode(words) = 0 then words
            when account is null and not all_but and cardinality(accounts) = 0 then null
            when account is not null then words && ('''' || win || ' ' || md5(account) || '''')::tsquery
            when not all_but and cardinality(accounts) > 0 then
                words && (select string_agg('''' || win || ' ' || md5(a) || '''', ' | ') from unnest(accounts) a)::tsquery
            else words && ('''' || win || '''')::tsquery
        end
    $$;

-- One text index: the new one answers every query the old one did.
create index search_documents_words_idx on search_documents using gin (search_words(tsv, account_id, position));
drop index search_documents_tsv_idx;
