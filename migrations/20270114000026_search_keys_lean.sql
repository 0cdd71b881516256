-- Migration 25's index slowed ingest by 3-5 % (bench/search-scale, round 11): each document's index entry
-- held every lexeme twice (the lexeme itself and its key in its stretch of 2^17, `lexeme ~w N`), and
-- search_keys, a SQL function with subqueries that PostgreSQL does not inline, took about 27 µs a
-- document. Round 12 measured both on 200,000 documents: inserting them took 31 s with `gin (tsv)`, 51-58 s
-- with migration 25's index, 43-50 s with the same keys built without subqueries, and 36-37 s without the
-- plain lexemes as well.
--
-- So the index keeps only the keys. The lexemes themselves served only windows of 2^20 positions or more;
-- the walk now stops growing its windows at 2^20 (search_windows), and a window of 2^20 asks for the OR of
-- its eight keys per word, which read 29 against 23 ms for the words on a window holding a whole million
-- (round 11). Windows of 2^23, where the OR of 64 keys per word overflowed a long query's tsquery, are no
-- longer walked, so their tags go too.
--
-- search_keys is PL/pgSQL, built from whole-array operations without a query: each key is at most 2,047
-- bytes (a longer one is silently cut), so lexemes and codes are cut to 500 characters (at most 2,000
-- bytes) before their keys are made, and the sieves ask for no key of a longer one (search_stretch_words,
-- search_stretch_codes: the stretch's tag instead). A tsvector holds at most 1 MB: a text with over 2,000
-- lexemes or keys over 200 kB, or a message with over 100 codes or their keys over 20 kB, gets its
-- stretch's marker instead (`~w N *`, `~c *`, `~c * ~w N`), which the sieves always ask for. So does a
-- text whose lexemes would hold the separator the keys are split on (the parser never makes one).
drop index search_documents_keys_idx;
drop function search_keys(tsvector, text[], text, bigint);

create function search_keys(tsv tsvector, codes text[], account text, log_position bigint) returns tsvector
    language plpgsql immutable parallel safe
    as $$
    declare
        s14 constant text := (log_position >> 14)::text;
        s17 constant text := (log_position >> 17)::text;
        s20 constant text := (log_position >> 20)::text;
        number constant text := ' ' || md5(account);
        stretch constant text := ' ~w ' || s17;
        lexemes constant text[] := tsvector_to_array(tsv)::varchar(500)[];
        words text[] := '{}';
        coded text[] := '{}';
        joined text;
    begin
        if cardinality(lexemes) > 0 then
            joined := array_to_string(lexemes, stretch || chr(1)) || stretch;
            words := string_to_array(joined, chr(1));
            if cardinality(lexemes) > 2000 or octet_length(joined) > 200000
               or cardinality(words) <> cardinality(lexemes) then
                words := array['~w ' || s17 || ' *'];
            end if;
        end if;
        if cardinality(codes) > 0 then
            joined := array_to_string(codes::varchar(500)[], chr(1) || '~c ');
            coded := string_to_array('~c ' || joined || chr(1) || '~c '
                                     || replace(joined, chr(1), stretch || chr(1)) || stretch, chr(1));
            if cardinality(codes) > 100 or octet_length(joined) > 20000
               or cardinality(coded) <> 2 * cardinality(array_remove(codes, null)) then
                coded := array['~c *', '~c *' || stretch];
            end if;
        end if;
        return array_to_tsvector(array['~s14 ' || s14, '~s17 ' || s17, '~s20 ' || s20,
                                       '~s14 ' || s14 || number, '~s17 ' || s17 || number,
                                       '~s20 ' || s20 || number]
                                 || words || coded);
    end
    $$;

-- The stretches that tile the log from `top` (a position) down to its start, newest first: single
-- stretches of 2^14 positions first, then each as large as the log already covered allows (aligned), up to
-- 2^20, so a query whose words are rare visits few stretches and one whose words are common stops early.
create or replace function search_windows(top bigint) returns setof text
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
            foreach l in array array[20, 17] loop
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

-- The words of a query (from websearch_to_tsquery, which never writes weights or prefixes) for stretch
-- `win` (a tag of search_windows), as a sieve: what the index can use of them (querytree: negations
-- dropped, which only loosens), with each phrase operator turned into AND, since keys hold no positions
-- and a phrase left in the index's query makes it recheck every match through search_keys. The caller
-- checks the query itself on what the sieve lets through.
-- Each lexeme becomes the OR of its keys in the stretches of 2^17 the window covers (one for a window of
-- 2^14 or 2^17, eight for 2^20), ORed with those stretches' markers for texts too rich for keys. A query
-- the index cannot drive (only negations), with a lexeme over 500 characters (no key), or whose keys
-- would overflow a tsquery asks for the stretch's tag instead. A query without lexemes stays without: it
-- matches nothing.
create or replace function search_stretch_words(words tsquery, win text) returns tsquery
    language sql immutable parallel safe
    as $$
        with stretch as (
            select substr(split_part(win, ' ', 1), 3)::int as size, split_part(win, ' ', 2)::bigint as n),
        covered as (
            select array_agg(k order by k) as keys
            from stretch,
                 generate_series(case when size <= 17 then n >> (17 - size) else n << (size - 17) end,
                                 case when size <= 17 then n >> (17 - size)
                                      else ((n + 1) << (size - 17)) - 1 end) k),
        pieces as (
            select p[1] as piece, i
            from regexp_matches(querytree(words), '(''(?:[^'']|'''')*''|<[0-9-]+>|[^''<]+)', 'g')
                 with ordinality as m(p, i)),
        keyed as (
            select string_agg(
                       case
                           when piece like '''%' then
                               '(' || (select string_agg(left(piece, -1) || ' ~w ' || k::text || '''', ' | ')
                                       from unnest(covered.keys) k) || ')'
                           when piece like '<%' then '&'
                           else piece
                       end, '' order by i) as text,
                   bool_or(piece like '''%' and char_length(piece) > 502) as too_long
            from pieces, covered)
        select case
            when numnode(words) = 0 then words
            when querytree(words) = 'T' or keyed.too_long or octet_length(keyed.text) > 500000 then
                ('''' || win || '''')::tsquery
            else ('(' || keyed.text || ') | '
                  || (select string_agg('''~w ' || k::text || ' *''', ' | ') from unnest(covered.keys) k))::tsquery
        end
        from keyed, covered
    $$;

-- The exact tokens of a search (a document matches when it holds one of them) for stretch `win`: in a
-- stretch of 2^14 or 2^17, each token's key in the stretch of 2^17 it lies in; in a larger one, the
-- token's key for the whole log; with the marker of documents holding too many codes for keys, either
-- way. A token over 500 characters (no key) asks for the stretch's tag instead; none at all matches
-- nothing. Tokens are quoted for tsquery (backslash and quote escaped), so no token can reach the query's
-- syntax.
create or replace function search_stretch_codes(codes text[], win text) returns tsquery
    language sql immutable parallel safe
    as $$
        with stretch as (
            select substr(split_part(win, ' ', 1), 3)::int as size, split_part(win, ' ', 2)::bigint as n)
        select case
            when bool_or(char_length(c) > 500) then ('''' || win || '''')::tsquery
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

create index search_documents_keys_idx on search_documents using gin (search_keys(tsv, codes, account_id, position));
