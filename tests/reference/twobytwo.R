# Reference values for metaatt.mantel_haenszel and metaatt.peto from metafor's rma.mh and
# rma.peto. Writes fixtures/twobytwo.json. Run from tests/reference/ (regenerate.sh).
#
# Published examples:
#   dat.bcg against Stata metan (metafor tests test_misc_metan_vs_rma.mh/peto_with_dat.bcg.r):
#     MH RR -0.4537 [-0.5308, -0.3766], QE 152.5676; MH OR -0.4734 [-0.5538, -0.3930],
#     QE 163.9426; MH RD -0.0033 [-0.0039, -0.0027], QE 386.7759; Peto OR -0.4744
#     [-0.5541, -0.3948], QE 167.7302.
#   Rothman, Greenland & Lash (2008), Modern Epidemiology, 3rd ed., Table 15-1 (tolbutamide),
#     level 90: RD 0.0349 [-0.0176, 0.0874], QE 0.0017; log RR 0.2818 [-0.1442, 0.7078];
#     log OR (correct = FALSE) 0.3387 [-0.1731, 0.8505], QE 0.3474, CMH 1.1914 (p .2750),
#     Tarone 0.3489.
#   Yusuf et al. (1985), table 6 (dat.yusuf1985): Peto OR .9332 [.7385, 1.1792].
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
num <- function(x) if (is.null(x)) NA else unname(as.numeric(x))

tables <- list()
bcg <- read.csv("data/bcg.csv")
tables$bcg <- list(ai = bcg$tpos, bi = bcg$tneg, ci = bcg$cpos, di = bcg$cneg)
tables$rothman <- list(ai = c(8, 22), bi = c(98, 76), ci = c(5, 16), di = c(115, 69))
yu <- read.csv("data/yusuf1985.csv")
yu <- yu[yu$table == "6", ]
tables$yusuf1985_t6 <- list(ai = yu$ai, bi = yu$n1i - yu$ai, ci = yu$ci, di = yu$n2i - yu$ci)
eg <- read.csv("data/egger2001.csv")
tables$egger2001 <- list(ai = eg$ai, bi = eg$n1i - eg$ai, ci = eg$ci, di = eg$n2i - eg$ci)
# zero cells, double zeros, an all-events table and tiny tables
tables$zeros <- list(ai = c(0, 3, 5, 0, 10, 4, 2), bi = c(20, 17, 25, 30, 90, 0, 8),
                     ci = c(2, 0, 8, 0, 14, 6, 1), di = c(18, 21, 22, 28, 86, 1, 9))
set.seed(301)
for (j in 1:4) {
  k <- c(5, 10, 20, 40)[j]
  n1 <- sample(10:200, k, replace = TRUE); n2 <- sample(10:200, k, replace = TRUE)
  p2 <- runif(k, 0.02, 0.4); lor <- rnorm(k, -0.3, c(0.1, 0.5, 0.3, 0.8)[j])
  p1 <- plogis(qlogis(p2) + lor)
  ai <- rbinom(k, n1, p1); ci <- rbinom(k, n2, p2)
  tables[[paste0("r", j)]] <- list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci)
}
set.seed(302)
k <- 15; n1 <- sample(5:40, k, replace = TRUE); n2 <- sample(5:40, k, replace = TRUE)
ai <- rbinom(k, n1, 0.03); ci <- rbinom(k, n2, 0.06)
tables$rare <- list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci)

mh_cases <- list()
peto_cases <- list()
settings <- list(
  list(add = 0.5, to = "only0", drop00 = TRUE),
  list(add = 0.5, to = "all", drop00 = TRUE),
  list(add = 0.5, to = "if0all", drop00 = FALSE),
  list(add = 0.5, to = "none", drop00 = TRUE),
  list(add = c(0.5, 0.5), to = c("only0", "only0"), drop00 = c(TRUE, TRUE)),
  list(add = c(0.5, 0.25), to = c("only0", "all"), drop00 = c(TRUE, FALSE))
)
for (name in names(tables)) {
  t <- tables[[name]]
  for (si in seq_along(settings)) {
    st <- settings[[si]]
    if (si > 1 && !(name %in% c("zeros", "rare", "r1"))) next
    for (measure in c("OR", "RR", "RD")) {
      for (correct in c(TRUE, FALSE)) {
        if (!correct && measure != "OR") next
        for (level in c(95, 90)) {
          if (level == 90 && !(name %in% c("rothman", "bcg"))) next
          r <- tryCatch(suppressWarnings(rma.mh(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di,
                           measure = measure, add = st$add, to = st$to, drop00 = st$drop00,
                           correct = correct, level = level)),
                        error = function(e) conditionMessage(e))
          entry <- list(table = name, measure = measure, correct = correct, level = level / 100,
                        add = st$add, to = st$to, drop00 = st$drop00)
          if (is.character(r)) {
            entry$error <- r
          } else {
            entry <- c(entry, list(
              estimate = num(r$beta), se = num(r$se), zval = num(r$zval), pval = num(r$pval),
              ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub), QE = num(r$QE), QEp = num(r$QEp),
              I2 = num(r$I2), H2 = num(r$H2), k = num(r$k), k_yi = num(r$k.yi),
              MH = num(r$MH), MHp = num(r$MHp), CO = num(r$CO), COp = num(r$COp),
              BD = num(r$BD), BDp = num(r$BDp), TA = num(r$TA), TAp = num(r$TAp),
              yi = num(r$yi.f), vi = num(r$vi.f), weights = num(weights(r))))
          }
          mh_cases[[length(mh_cases) + 1]] <- entry
        }
      }
    }
    for (level in c(95, 90)) {
      if (level == 90 && name != "yusuf1985_t6") next
      r <- tryCatch(suppressWarnings(rma.peto(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di,
                       add = st$add, to = st$to, drop00 = st$drop00, level = level)),
                    error = function(e) conditionMessage(e))
      entry <- list(table = name, level = level / 100, add = st$add, to = st$to,
                    drop00 = st$drop00)
      if (is.character(r)) {
        entry$error <- r
      } else {
        entry <- c(entry, list(
          estimate = num(r$beta), se = num(r$se), zval = num(r$zval), pval = num(r$pval),
          ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub), QE = num(r$QE), QEp = num(r$QEp),
          I2 = num(r$I2), H2 = num(r$H2), k = num(r$k), k_yi = num(r$k.yi),
          yi = num(r$yi.f), vi = num(r$vi.f), weights = num(weights(r))))
      }
      peto_cases[[length(peto_cases) + 1]] <- entry
    }
  }
}

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  tables = tables,
  mh = mh_cases,
  peto = peto_cases
)
write_json(out, "fixtures/twobytwo.json", digits = NA, auto_unbox = TRUE, na = "null")
cat("wrote fixtures/twobytwo.json:", length(mh_cases), "MH and", length(peto_cases), "Peto cases\n")
