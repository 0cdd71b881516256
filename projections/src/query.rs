//! What the queries of every view share: pages of rows, and the patterns text search matches with.

/// Up to a page of rows, and whether more follow in the same order.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's rows, in the query's order.
    pub rows: Vec<T>,
    /// Whether more rows follow the last one.
    pub more: bool,
}

impl<T> Page<T> {
    /// A page from rows fetched with one more than `limit`: that extra row only says that more follow.
    pub(crate) fn of(mut rows: Vec<T>, limit: i64) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        Page { rows, more }
    }
}

/// One more than `limit`: how many rows a query fetches to fill a page and learn whether more follow.
pub(crate) fn probe(limit: i64) -> i64 {
    limit.saturating_add(1)
}

/// A `LIKE`/`ILIKE` pattern that finds `text` anywhere, its wildcards taken literally.
pub fn contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_search_text_match_literally() {
        assert_eq!(contains(r"50%_off\"), r"%50\%\_off\\%");
    }

    #[test]
    fn a_page_keeps_limit_rows_and_says_whether_more_follow() {
        assert_eq!(
            Page::of(vec![1, 2, 3], 2),
            Page {
                rows: vec![1, 2],
                more: true
            }
        );
        assert_eq!(
            Page::of(vec![1, 2], 2),
            Page {
                rows: vec![1, 2],
                more: false
            }
        );
    }
}
