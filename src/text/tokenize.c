/* The tokenizer of scikit-learn's TfidfVectorizer, code point for code point.
 *
 * scikit-learn lower-cases with Python's str.lower() and then takes the
 * matches of (?u)\b\w\w+\b: maximal runs of word characters that are at
 * least two code points long. Python's word characters are those with
 * str.isalnum() true, plus '_'; that is the Unicode general categories
 * L* (letters) and N* (digits and other numbers). Category data and the
 * simple lower-case mapping come from utf8proc; two rules of str.lower()
 * that a simple mapping misses are added here:
 *   - U+0130 (I with dot above) lowers to "i" + U+0307 (SpecialCasing);
 *   - capital sigma lowers to final sigma U+03C2 when it ends a word
 *     (Unicode's Final_Sigma context: preceded by a cased letter and not
 *     followed by one, ignoring case-ignorable characters in between).
 * Those two need the Cased and Case_Ignorable properties, which utf8proc
 * does not export; they are derived from categories and case mappings
 * plus the short lists below (from DerivedCoreProperties.txt).
 *
 * One pass over the bytes: ASCII takes a table-driven fast path, other
 * code points go through utf8proc. Invalid UTF-8 (overlong forms,
 * surrogates, truncated sequences) is an error with its byte offset, as
 * Python's strict decoder would refuse it. */
#include <pthread.h>
#include <string.h>
#include <utf8proc.h>

#include "mimic/text.h"
#include "text/tfidf.h"

/* ---- token lists ------------------------------------------------------- */

void mimic_tokens_clear(mimic_tokens *t) {
  t->used = 0;
  t->n = 0;
}

void mimic_tokens_free(mimic_tokens *t) {
  if (!t) return;
  free(t->buf);
  free(t->off);
  free(t->len);
  memset(t, 0, sizeof *t);
}

static mimic_status tok_reserve_bytes(mimic_tokens *t, size_t extra) {
  if (t->used + extra <= t->cap) return MIMIC_OK;
  size_t nc = t->cap ? t->cap * 2 : 256;
  while (nc < t->used + extra) nc *= 2;
  char *nb = mimic_realloc(t->buf, nc, 1, "token buffer");
  if (!nb) return MIMIC_ERR_NOMEM;
  t->buf = nb;
  t->cap = nc;
  return MIMIC_OK;
}

static mimic_status tok_reserve_slots(mimic_tokens *t) {
  if (t->n < t->ncap) return MIMIC_OK;
  size_t nc = t->ncap ? t->ncap * 2 : 32;
  uint32_t *no = mimic_realloc(t->off, nc, sizeof *no, "token offsets");
  if (!no) return MIMIC_ERR_NOMEM;
  t->off = no;
  uint32_t *nl = mimic_realloc(t->len, nc, sizeof *nl, "token lengths");
  if (!nl) return MIMIC_ERR_NOMEM;
  t->len = nl;
  t->ncap = nc;
  return MIMIC_OK;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decodes one code point at s[0..len); returns its length, or -1 if invalid. */
static int decode(const unsigned char *s, size_t len, int32_t *cp) {
  utf8proc_int32_t c;
  utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)len, &c);
  if (k <= 0 || c < 0) return -1;
  *cp = c;
  return (int)k;
}

/* ---- character properties ---------------------------------------------- */

/* ASCII classes: 1 = word char, 2 = cased letter, 4 = case-ignorable. */
static unsigned char ascii_class[128];
static char ascii_lower[128];
static pthread_once_t ascii_once = PTHREAD_ONCE_INIT;

static void ascii_fill(void) {
  for (int c = 0; c < 128; c++) {
    unsigned char k = 0;
    bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
    if (upper || lower || (c >= '0' && c <= '9') || c == '_') k |= 1;
    if (upper || lower) k |= 2;
    if (c == '\'' || c == '.' || c == ':' || c == '^' || c == '`') k |= 4;
    ascii_class[c] = k;
    ascii_lower[c] = (char)(upper ? c + 32 : c);
  }
}

static void ascii_init(void) { pthread_once(&ascii_once, ascii_fill); }

static bool is_word_cp(int32_t c) {
  if (c < 128) return ascii_class[c] & 1;
  switch (utf8proc_category(c)) {
  case UTF8PROC_CATEGORY_LU:
  case UTF8PROC_CATEGORY_LL:
  case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM:
  case UTF8PROC_CATEGORY_LO:
  case UTF8PROC_CATEGORY_ND:
  case UTF8PROC_CATEGORY_NL:
  case UTF8PROC_CATEGORY_NO: return true;
  default: return false;
  }
}

/* Other_Lowercase / Other_Uppercase code points that have no case mapping
 * (DerivedCoreProperties: part of Cased without being Lu/Ll/Lt). */
static const int32_t other_cased[][2] = {
    {0x00AA, 0x00AA},   {0x00BA, 0x00BA},   {0x02B0, 0x02B8},   {0x02C0, 0x02C1},
    {0x02E0, 0x02E4},   {0x0345, 0x0345},   {0x037A, 0x037A},   {0x10FC, 0x10FC},
    {0x1D2C, 0x1D6A},   {0x1D78, 0x1D78},   {0x1D9B, 0x1DBF},   {0x2071, 0x2071},
    {0x207F, 0x207F},   {0x2090, 0x209C},   {0x2170, 0x217F},   {0x24D0, 0x24E9},
    {0x2C7C, 0x2C7D},   {0xA69C, 0xA69D},   {0xA770, 0xA770},   {0xA7F2, 0xA7F4},
    {0xA7F8, 0xA7F9},   {0xAB5C, 0xAB5F},   {0xAB69, 0xAB69},   {0x10780, 0x10780},
    {0x10783, 0x10785}, {0x10787, 0x107B0}, {0x107B2, 0x107BA}, {0x1E030, 0x1E06D},
    {0x2160, 0x216F},   {0x24B6, 0x24CF},   {0x1F130, 0x1F149}, {0x1F150, 0x1F169},
    {0x1F170, 0x1F189},
};

static bool is_cased(int32_t c) {
  if (c < 128) return ascii_class[c] & 2;
  utf8proc_category_t cat = utf8proc_category(c);
  if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT)
    return true;
  if (utf8proc_tolower(c) != c || utf8proc_toupper(c) != c) return true;
  for (size_t i = 0; i < sizeof other_cased / sizeof other_cased[0]; i++)
    if (c >= other_cased[i][0] && c <= other_cased[i][1]) return true;
  return false;
}

/* Case_Ignorable: Mn, Me, Cf, Lm, Sk, and Word_Break MidLetter/MidNumLet/Single_Quote. */
static bool is_case_ignorable(int32_t c) {
  if (c < 128) return ascii_class[c] & 4;
  switch (utf8proc_category(c)) {
  case UTF8PROC_CATEGORY_MN:
  case UTF8PROC_CATEGORY_ME:
  case UTF8PROC_CATEGORY_CF:
  case UTF8PROC_CATEGORY_LM:
  case UTF8PROC_CATEGORY_SK: return true;
  default: break;
  }
  switch (c) {
  case 0x00B7:
  case 0x0387:
  case 0x055F:
  case 0x05F4:
  case 0x2018:
  case 0x2019:
  case 0x2024:
  case 0x2027:
  case 0xFE13:
  case 0xFE52:
  case 0xFE55:
  case 0xFF07:
  case 0xFF0E:
  case 0xFF1A: return true;
  default: return false;
  }
}

/* Final_Sigma lookahead: true when no cased letter follows (ignoring case-ignorables). */
static bool sigma_is_final_ahead(const unsigned char *s, size_t len, size_t i) {
  while (i < len) {
    int32_t c;
    int k = s[i] < 0x80 ? (c = s[i], 1) : decode(s + i, len - i, &c);
    if (k < 0) return true; /* the caller reports the bad byte when it gets there */
    if (!is_case_ignorable(c)) return !is_cased(c);
    i += (size_t)k;
  }
  return true;
}

/* ---- tokenize ---------------------------------------------------------- */

typedef struct run {
  char *buf; /* bytes of the current word run (in the token buffer's tail) */
  size_t bytes;
  size_t cps;
} run;

mimic_status mimic_text_tokenize(const char *text, size_t len, bool lowercase, mimic_tokens *out) {
  ascii_init();
  const unsigned char *s = (const unsigned char *)text;
  /* A word run is built in place at the end of out->buf: reserve the worst
   * case once (lower-casing grows a code point to at most 3 UTF-8 bytes per
   * input byte: U+0130 (2 bytes) -> "i" + U+0307 (3 bytes)). */
  if (len > (UINT32_MAX - out->used) / 2)
    return mimic_fail(MIMIC_ERR_RANGE, "text of %zu bytes is too long to tokenize", len);
  mimic_status st = tok_reserve_bytes(out, 2 * len + 8);
  if (st) return st;
  size_t start = out->used; /* where the current run starts */
  size_t bytes = 0, cps = 0;
  bool prev_cased = false; /* last non-case-ignorable code point was cased */
  size_t i = 0;
#define FLUSH()                                                                                    \
  do {                                                                                             \
    if (cps >= 2) {                                                                                \
      if ((st = tok_reserve_slots(out)) != MIMIC_OK) return st;                                    \
      out->buf[start + bytes] = '\0';                                                              \
      out->off[out->n] = (uint32_t)start;                                                          \
      out->len[out->n] = (uint32_t)bytes;                                                          \
      out->n++;                                                                                    \
      out->used = start + bytes + 1;                                                               \
      start = out->used;                                                                           \
    }                                                                                              \
    bytes = 0;                                                                                     \
    cps = 0;                                                                                       \
  } while (0)
  while (i < len) {
    unsigned char b = s[i];
    if (b < 0x80) {
      unsigned char k = ascii_class[b];
      if (!(k & 4)) prev_cased = k & 2;
      if (k & 1) {
        out->buf[start + bytes++] = lowercase ? ascii_lower[b] : (char)b;
        cps++;
      } else {
        FLUSH();
      }
      i++;
      continue;
    }
    int32_t c;
    int n = decode(s + i, len - i, &c);
    if (n < 0) {
      out->used = start;
      return mimic_fail(MIMIC_ERR_FORMAT, "invalid UTF-8 at byte %zu", i);
    }
    int32_t low[2];
    int nlow = 1;
    low[0] = c;
    if (lowercase) {
      if (c == 0x130) {
        low[0] = 'i';
        low[1] = 0x307;
        nlow = 2;
      } else if (c == 0x3A3) {
        low[0] = prev_cased && sigma_is_final_ahead(s, len, i + (size_t)n) ? 0x3C2 : 0x3C3;
      } else {
        low[0] = utf8proc_tolower(c);
      }
    }
    if (!is_case_ignorable(c)) prev_cased = is_cased(c);
    for (int j = 0; j < nlow; j++) {
      if (is_word_cp(low[j])) {
        utf8proc_ssize_t w =
            utf8proc_encode_char(low[j], (utf8proc_uint8_t *)out->buf + start + bytes);
        bytes += (size_t)w;
        cps++;
      } else {
        FLUSH();
      }
    }
    i += (size_t)n;
  }
  FLUSH();
#undef FLUSH
  out->used = start;
  return MIMIC_OK;
}

/* ---- analyzer (tokens + word n-grams) ---------------------------------- */

/* scikit-learn's _word_ngrams: the tokens (when ngram_min == 1), then every
 * n-gram for n = max(2, ngram_min) .. ngram_max, n-grams of one size in
 * order of position, words joined by one space. */
mimic_status mimic_tfidf_analyze(const mimic_tfidf_config *cfg, const char *doc, size_t len,
                                 mimic_tokens *out) {
  mimic_tokens_clear(out);
  MIMIC_TRY(mimic_text_tokenize(doc, len, cfg->lowercase, out));
  size_t m = out->n;
  if (cfg->ngram_max <= 1) return MIMIC_OK;
  int lo = cfg->ngram_min < 2 ? 2 : cfg->ngram_min;
  for (int g = lo; g <= cfg->ngram_max && (size_t)g <= m; g++) {
    for (size_t i = 0; i + (size_t)g <= m; i++) {
      size_t total = (size_t)g - 1;
      for (int j = 0; j < g; j++) total += out->len[i + (size_t)j];
      if (out->used + total + 1 > UINT32_MAX)
        return mimic_fail(MIMIC_ERR_RANGE, "token buffer over 4 GiB");
      MIMIC_TRY(tok_reserve_bytes(out, total + 1)); /* may move buf; offsets stay valid */
      MIMIC_TRY(tok_reserve_slots(out));
      char *dst = out->buf + out->used;
      size_t p = 0;
      for (int j = 0; j < g; j++) {
        if (j) dst[p++] = ' ';
        memcpy(dst + p, out->buf + out->off[i + (size_t)j], out->len[i + (size_t)j]);
        p += out->len[i + (size_t)j];
      }
      dst[p] = '\0';
      out->off[out->n] = (uint32_t)out->used;
      out->len[out->n] = (uint32_t)p;
      out->n++;
      out->used += p + 1;
    }
  }
  if (cfg->ngram_min > 1) { /* drop the unigrams (their bytes stay in buf, unused) */
    memmove(out->off, out->off + m, (out->n - m) * sizeof *out->off);
    memmove(out->len, out->len + m, (out->n - m) * sizeof *out->len);
    out->n -= m;
  }
  return MIMIC_OK;
}
