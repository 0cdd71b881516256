-- Keyword search walks the log stretch by stretch (migration 24), and the index answered each stretch by
-- intersecting the query's words with the stretch's tag. The rarest of those was the tag (16,384
-- documents for a stretch of 2^14), so words that are each common but rarely together (`daytona prix`)
-- cost every document of every stretch walked: about 100 ms at a million (bench/search-scale, round 11).
--
-- The index now also holds each word of a document together with its stretch of 2^17 positions,
-- `lexeme ~w N` (N = position >> 17; a lexeme never holds a space), so the index finds a word's
-- documents in one stretch without reading its documents elsewhere. A query asks for its words in the
-- stretch (search_stretch_words) and, as a second key, for the stretch's or the number's tag
-- (search_stretch_scope); the index leapfrogs between the two keys, so each costs what is rare in it.
-- The words' keys are a sieve: the documents it lets through are still checked against the query itself
-- (tsv @@ words), which keeps phrases and negations exact. A document's exact tokens (codes: references
-- such as 116610LN) are keyed the same way, `~c CODE ~w N`, and once for the whole log, `~c CODE`, so the
-- newest holders of a common reference are found stretch by stretch too (search_stretch_codes).
create function search_keys(tsv tsvector, codes text[], account text, log_position bigint) returns tsvector
    language sql immutable parallel safe
    as $$
        select tsv || array_to_tsvector(array[
            '~s14 ' || (log_position >> 14)::text, '~s17 ' || (log_position >> 17)::text,
            '~s20 ' || (log_position >> 20)::text, '~s23 ' || (log_position >> 23)::text,
            '~s14 ' || (log_position >> 14)::text || ' ' || md5(account),
            '~s17 ' || (log_position >> 17)::text || ' ' || md5(account),
            '~s20 ' || (log_position >> 20)::text || ' ' || md5(account),
            '~s23 ' || (log_position >> 23)::text || ' ' || md5(account)]
            -- A tsvector holds at most 1 MB, and an insert that overflows it would stop the projection:
            -- a text too rich for keys (over 2,000 lexemes or 200 kB) gets one marker per stretch instead,
            -- `~w N *`, which search_stretch_words always asks for. A key is at most 2,047 bytes and a
            -- longer one is silently cut, so the longest lexemes and codes keep no key (search_stretch_words
            -- and search_stretch_codes use none for them either).
            || case
                   when length(tsv) <= 2000 and octet_length(tsv::text) <= 200000 then
                       array(select l || ' ~w ' || (log_position >> 17)::text
                             from unnest(tsvector_to_array(tsv)) l where octet_length(l) <= 2000)
                   else array['~w ' || (log_position >> 17)::text || ' *']
               end
            || case
                   when cardinality(codes) <= 100 and octet_length(array_to_string(codes, '')) <= 20000 then
                       array(select k
                             from unnest(codes) c,
                                  lateral (values ('~c ' || c),
                                                  ('~c ' || c || ' ~w ' || (log_position >> 17)::text)) v(k)
                             where octet_length(c) <= 2000)
                   else array['~c *', '~c * ~w ' || (log_position >> 17)::text]
               end)
    $$;

-- The words of a query (from websearch_to_tsquery, which never writes weights or prefixes) for stretch
-- `win` (a tag of search_windows), as a sieve: what the index can use of them (querytree: negations
-- dropped, which only loosens), with each phrase operator turned into AND, since keys hold no positions
-- and a phrase left in the index's query makes it recheck every match through search_keys. The caller
-- checks the query itself on what the sieve lets through.
-- In a stretch of 2^14 or 2^17 positions, each lexeme becomes its key in the stretch of 2^17 it lies in,
-- ORed with that stretch's marker for texts too rich for keys. A larger stretch keeps the lexemes
-- themselves: there a key would be an OR of 8 or 64 keys per word, which the index read more slowly than
-- the word (a stretch of 2^20 holding a million documents: 29 against 23 ms for `daytona prix`, 13
-- against 6 for a 1 % number; round 11), and with hundreds of words over the size a tsquery may have.
-- A query the index cannot drive (only negations) or with a lexeme too long for a key asks for the
-- stretch's tag instead. A query without lexemes stays without: it matches nothing.
create function search_stretch_words(words tsquery, win text) returns tsquery
    language sql immutable parallel safe
    as $$
        with stretch as (
            select substr(split_part(win, ' ', 1), 3)::int as size, split_part(win, ' ', 2)::bigint as n),
        pieces as (
            select p[1] as piece, i
            from regexp_matches(querytree(words), '(''(?:[^'']|'''')*''|<[0-9-]+>|[^''<]+)', 'g')
                 with ordinality as m(p, i)),
        keyed as (
            select string_agg(
                       case
                           when piece like '''%' and size <= 17 then
                               left(piece, -1) || ' ~w ' || (n >> (17 - size))::text || ''''
                           when piece like '<%' then '&'
                           else piece
                       end, '' order by i) as text,
                   bool_or(piece like '''%' and octet_length(piece) > 2002) as too_long
            from pieces, stretch)
        select case
            when numnode(words) = 0 then words
            when querytree(words) = 'T' or keyed.too_long then ('''' || win || '''')::tsquery
            when stretch.size <= 17 then
                ('(' || keyed.text || ') | ''~w ' || (stretch.n >> (17 - stretch.size))::text || ' *''')::tsquery
            else keyed.text::tsquery
        end
        from keyed, stretch
    $$;

-- The exact tokens of a search (a document matches when it holds one of them) for stretch `win`: in a
-- stretch of 2^14 or 2^17, each token's key in the stretch of 2^17 it lies in; in a larger one, the
-- token's key for the whole log; with the marker of documents holding too many codes for keys, either
-- way. A token too long for a key asks for the stretch's tag instead; none at all matches nothing. Tokens
-- are quoted for tsquery (backslash and quote escaped), so no token can reach the query's syntax.
create function search_stretch_codes(codes text[], win text) returns tsquery
    language sql immutable parallel safe
    as $$
        with stretch as (
            select substr(split_part(win, ' ', 1), 3)::int as size, split_part(win, ' ', 2)::bigint as n)
        select case
            when bool_or(octet_length(c) > 2000) then ('''' || win || '''')::tsquery
            else (string_agg(
                      '''' || replace(replace(
                          case when size <= 17 then '~c ' || c || ' ~w ' || (n >> (17 - size))::text
                               else '~c ' || c end,
                          '\', '\\'), '''', '''''') || '''', ' | ')
                  || ' | ' || case when min(size) <= 17 then '''~c * ~w ' || min(n >> (17 - size))::text || ''''
                                   else '''~c *''' end)::tsquery
        end
        from stretch, unnest(codes) c
        where c is not null
    $$;

-- The tag that keeps a stretch's documents to one number (`account`), to the numbers a caller may read
-- (`accounts`, unless `all_but`), or to none of them: the stretch's own tag. A caller who may read no
-- number gets null, which matches nothing without reading the index.
create function search_stretch_scope(win text, account text, all_but boolean, accounts text[])
    returns tsquery
    language sql immutable parallel safe
    as $$
        select case
            when account is null and not all_but and cardinality(accounts) = 0 then null
            when account is not null then ('''' || win || ' ' || md5(account) || '''')::tsquery
            when not all_but and cardinality(accounts) > 0 then
                (select string_agg('''' || win || ' ' || md5(a) || '''', ' | ') from unnest(accounts) a)::tsquery
            else ('''' || win || '''')::tsquery
        end
    $$;

-- The words of a search as the text index reads them: in the simple, French and English configurations,
-- ORed. Each distinct reading is kept once: checking and ranking a document costs in proportion to the
-- query's branches, and three equal branches (`royal oak full set`) tripled `ts_rank_cd`'s time for the
-- same ranks (39 ms against 13 ms for 2,000 documents, bench/search-scale round 11).
-- Dashes are taken away in pairs first: websearch_to_tsquery nests one negation per dash, and 33 in a row
-- (`- - - … rolex`) overflow its stack, an error for what is only odd input. Two negations cancel, so
-- removing pairs keeps the meaning.
create function search_query(words text) returns tsquery
    language sql immutable parallel safe
    as $$
        select case
            when f = s and e = s then s
            when f = s or e = f then s || e
            when e = s then s || f
            else s || f || e
        end
        from (select websearch_to_tsquery('simple', w) as s, websearch_to_tsquery('french', w) as f,
                     websearch_to_tsquery('english', w) as e
              from (select regexp_replace(words, '-\s*-', ' ', 'g') as w) paired) readings
    $$;

create index search_documents_keys_idx on search_documents using gin (search_keys(tsv, codes, account_id, position));
drop index search_documents_words_idx;
drop function search_in_window(tsquery, text, text, boolean, text[]);
drop function search_words(tsvector, text, bigint);
