# Reference values for metaatt.extract (test-statistic extractors) from metafor's escalc().
#
# Independent route: random means/SDs are drawn here; metafor computes SMCC (paired) and SMD
# (independent groups) from them, and the printed statistics a paper would report are derived
# from the same numbers (paired t, independent t, F = t^2, two-sided p, partial eta^2, a
# reported d). metaatt's extractors, given only those statistics, must return metafor's yi/vi.
# Also: metafor's MPOR / MPORM / MPORC / OR for random paired and independent tables (the
# categorical conversions multiply these by fixed constants), and Morris (2008) Table 5.
# Writes tests/reference/fixtures/extract.json. Run from tests/reference/: Rscript --vanilla extract.R
suppressMessages(library(metafor))
library(jsonlite)

set.seed(20240612)
k <- 25

# ------------------------------------------------------------------ paired designs (SMCC)
n <- c(3, 4, 5, sample(6:300, k - 3, replace = TRUE))
m_pre <- rnorm(k, 4, 1.5)
m_post <- m_pre + rnorm(k, 0.4, 0.8)
m_post[4] <- m_pre[4]                                   # no change
sd_pre <- runif(k, 0.3, 2.5)
sd_post <- runif(k, 0.3, 2.5)
r <- runif(k, -0.5, 0.95)
sd_change <- sqrt(sd_pre^2 + sd_post^2 - 2 * r * sd_pre * sd_post)
smcc <- escalc("SMCC", m1i = m_post, m2i = m_pre, sd1i = sd_post, sd2i = sd_pre, ri = r, ni = n)
smcr <- escalc("SMCR", m1i = m_post, m2i = m_pre, sd1i = sd_pre, ri = r, ni = n)
t_paired <- (m_post - m_pre) / (sd_change / sqrt(n))
p_paired <- 2 * pt(-abs(t_paired), df = n - 1)
paired <- list(
  n = n, m_pre = m_pre, m_post = m_post, sd_pre = sd_pre, sd_post = sd_post, r = r,
  sd_change = sd_change, t = t_paired, f = t_paired^2, p = p_paired,
  sign = ifelse(t_paired < 0, -1, 1),
  partial_eta2 = t_paired^2 / (t_paired^2 + n - 1),
  d_z_uncorrected = t_paired / sqrt(n),
  d_pre_uncorrected = (m_post - m_pre) / sd_pre,
  smcc_yi = as.numeric(smcc$yi), smcc_vi = as.numeric(smcc$vi),
  smcr_yi = as.numeric(smcr$yi), smcr_vi = as.numeric(smcr$vi)
)

# ------------------------------------------------------------------ independent groups (SMD)
n1 <- c(2, 3, sample(4:300, k - 2, replace = TRUE))
n2 <- c(3, 2, sample(4:300, k - 2, replace = TRUE))
m1 <- rnorm(k, 4, 1.5); m2 <- m1 + rnorm(k, -0.3, 0.8)
m2[5] <- m1[5]
sd1 <- runif(k, 0.3, 2.5); sd2 <- runif(k, 0.3, 2.5)
smd <- escalc("SMD", m1i = m1, m2i = m2, sd1i = sd1, sd2i = sd2, n1i = n1, n2i = n2)
sp <- sqrt(((n1 - 1) * sd1^2 + (n2 - 1) * sd2^2) / (n1 + n2 - 2))
t_ind <- (m1 - m2) / (sp * sqrt(1 / n1 + 1 / n2))
independent <- list(
  n1 = n1, n2 = n2, m1 = m1, m2 = m2, sd1 = sd1, sd2 = sd2,
  t = t_ind, f = t_ind^2, p = 2 * pt(-abs(t_ind), df = n1 + n2 - 2),
  sign = ifelse(t_ind < 0, -1, 1),
  partial_eta2 = t_ind^2 / (t_ind^2 + n1 + n2 - 2),
  d_uncorrected = (m1 - m2) / sp,
  smd_yi = as.numeric(smd$yi), smd_vi = as.numeric(smd$vi)
)

# ------------------------------------------------------------------ paired binary tables
kt <- 20
np <- sample(8:200, kt, replace = TRUE)
probs <- matrix(runif(kt * 4), kt, 4); probs <- probs / rowSums(probs)
cells <- t(sapply(seq_len(kt), function(i) as.vector(rmultinom(1, np[i], probs[i, ]))))
cells[cells == 0] <- 1                                  # keep every cell positive here
n_ss <- cells[, 1]; n_si <- cells[, 2]; n_is <- cells[, 3]; n_ii <- cells[, 4]
# metafor's paired layout: rows = occasion 1 (here: post), columns = occasion 2 (pre)
mpor <- escalc("MPOR", ai = n_ss, bi = n_is, ci = n_si, di = n_ii)
mporc <- escalc("MPORC", ai = n_ss, bi = n_is, ci = n_si, di = n_ii)
nn <- n_ss + n_si + n_is + n_ii
x_pre <- n_ss + n_si; x_post <- n_ss + n_is
phi <- ((n_ss / nn) - (x_pre / nn) * (x_post / nn)) /
  sqrt((x_pre / nn) * (1 - x_pre / nn) * (x_post / nn) * (1 - x_post / nn))
mporm <- escalc("MPORM", ai = x_post, bi = nn - x_post, ci = x_pre, di = nn - x_pre, ri = phi)
paired_tables <- list(
  n_ss = n_ss, n_si = n_si, n_is = n_is, n_ii = n_ii, phi = phi,
  mpor_yi = as.numeric(mpor$yi), mpor_vi = as.numeric(mpor$vi),
  mporc_yi = as.numeric(mporc$yi), mporc_vi = as.numeric(mporc$vi),
  mporm_yi = as.numeric(mporm$yi), mporm_vi = as.numeric(mporm$vi)
)

# ------------------------------------------------------------------ independent 2x2 (OR)
x1 <- rbinom(kt, np, 0.4); x2 <- rbinom(kt, np + 5, 0.25)
x1[x1 == 0] <- 1; x2[x2 == 0] <- 1
tab <- list(ai = x1, bi = np - x1, ci = x2, di = np + 5 - x2)
or <- do.call(escalc, c(list(measure = "OR"), tab))
or2dl <- do.call(escalc, c(list(measure = "OR2DL"), tab))
or2dn <- do.call(escalc, c(list(measure = "OR2DN"), tab))
pbit <- do.call(escalc, c(list(measure = "PBIT"), tab))
between_tables <- list(x1 = x1, n1 = np, x2 = x2, n2 = np + 5,
                       or_yi = as.numeric(or$yi), or_vi = as.numeric(or$vi),
                       or2dl_yi = as.numeric(or2dl$yi), or2dl_vi = as.numeric(or2dl$vi),
                       or2dn_yi = as.numeric(or2dn$yi), or2dn_vi = as.numeric(or2dn$vi),
                       pbit_yi = as.numeric(pbit$yi), pbit_vi = as.numeric(pbit$vi))

# ------------------------------------------------------------------ Morris (2008), Table 5
# Carlson & Schmidt (1999) data as given in Morris (2008, p. 382, Table 5); the same numbers
# are used in metafor's tests (test_analysis_example_morris2008.r).
morris <- list(
  source = "Morris (2008), Organizational Research Methods 11(2), Table 5, p. 382",
  m_pre = c(30.6, 23.5, 0.5, 53.4, 35.6), m_post = c(38.5, 26.8, 0.7, 75.9, 36.0),
  sd_pre = c(15.0, 3.1, 0.1, 14.5, 4.7), n = c(20, 50, 9, 10, 14),
  m_pre_c = c(23.1, 24.9, 0.6, 55.7, 34.8), m_post_c = c(19.7, 25.3, 0.6, 60.7, 33.4),
  sd_pre_c = c(13.8, 4.1, 0.2, 17.3, 3.1), n_c = c(20, 42, 9, 11, 14),
  r = c(.47, .64, .77, .89, .44),
  d_ppc2_published = c(0.7684, 0.8010, 1.2045, 1.0476, 0.4389),
  d_ppc1_published = c(0.7421, 0.9524, 1.8054, 1.1514, 0.5050)
)

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  paired = paired, independent = independent, paired_tables = paired_tables,
  between_tables = between_tables, morris2008 = morris
)
write_json(out, "fixtures/extract.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
