# Reference values for the per-study sample sizes of metaatt.escalc (metafor's attr(yi, "ni"))
# and for egger_test(pool(escalc(...)), predictor = "ni"/"ninv"/"sqrtni"/"sqrtninv"), which
# metafor's regtest() reads from that attribute. Writes fixtures/escalc_ni.json. Run from
# tests/reference/ (regenerate.sh).
#
# Datasets: random inputs generated here with a fixed seed for every measure family (two
# groups, 2x2 tables with zero cells, paired tables, MPORM, correlations, proportions, means,
# pre-post; some inputs missing), and the published examples dat.bcg (log RR; Colditz et al.
# 1994) and dat.normand1999 (SMD; Normand 1999, Table 1). A copy of BCG with one table made
# incomplete checks that the sizes follow the rows the model analyses.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

ctrl <- list(threshold = 1e-12, maxiter = 10000)
set.seed(20241126)
k <- 9
rcount <- function(n, lo, hi) sample(lo:hi, n, replace = TRUE)
n1 <- rcount(k, 5, 80); n2 <- rcount(k, 5, 80)
ai <- pmin(rcount(k, 0, 20), n1); ci <- pmin(rcount(k, 0, 20), n2)
ai[2] <- 0; ci[2] <- 0
m1 <- rnorm(k, 10, 2); m2 <- rnorm(k, 9, 2); s1 <- runif(k, 1, 3); s2 <- runif(k, 1, 3)
ni <- rcount(k, 4, 120); ri <- runif(k, 0.1, 0.8); xi <- pmin(rcount(k, 0, 30), ni)
xi[3] <- 0
m1na <- m1; m1na[4] <- NA
n2na <- n2; n2na[5] <- NA

calls <- list(
  SMD = list(measure = "SMD", args = list(m1i = m1na, m2i = m2, sd1i = s1, sd2i = s2, n1i = n1, n2i = n2na)),
  MD = list(measure = "MD", args = list(m1i = m1, m2i = m2, sd1i = s1, sd2i = s2, n1i = n1, n2i = n2)),
  VR = list(measure = "VR", args = list(sd1i = s1, sd2i = s2, n1i = n1, n2i = n2)),
  RR = list(measure = "RR", args = list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci)),
  OR_n = list(measure = "OR", args = list(ai = ai, n1i = n1, ci = ci, n2i = n2na)),
  RD_drop00 = list(measure = "RD", args = list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci, drop00 = TRUE)),
  PHI = list(measure = "PHI", args = list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci)),
  MPOR = list(measure = "MPOR", args = list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci)),
  MPORM = list(measure = "MPORM", args = list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci, ri = ri)),
  ZCOR = list(measure = "ZCOR", args = list(ri = ri, ni = ni)),
  PLO = list(measure = "PLO", args = list(xi = xi, ni = ni)),
  PR_mi = list(measure = "PR", args = list(xi = xi, mi = ni - xi)),
  MN = list(measure = "MN", args = list(mi = m1, sdi = s1, ni = ni)),
  SMCR = list(measure = "SMCR", args = list(m1i = m1, m2i = m2, sd1i = s1, ni = ni, ri = ri))
)
sizes <- lapply(calls, function(cl) {
  es <- do.call(escalc, c(list(measure = cl$measure), cl$args))
  list(measure = cl$measure, args = cl$args, ni = as.numeric(attr(es$yi, "ni")))
})

regtests <- function(dat) {
  res <- rma(yi, vi, data = dat, method = "REML", control = ctrl)
  out <- list()
  for (model in c("rma", "lm")) {
    for (pred in c("ni", "ninv", "sqrtni", "sqrtninv")) {
      rt <- regtest(res, model = model, predictor = pred)
      out[[paste(model, pred, sep = ".")]] <- list(
        statistic = rt$zval, pval = rt$pval, df = if (is.null(rt$dfs)) NA else rt$dfs,
        estimate = if (is.null(rt$est)) NA else rt$est,
        ci_low = if (is.null(rt$ci.lb)) NA else rt$ci.lb,
        ci_high = if (is.null(rt$ci.ub)) NA else rt$ci.ub
      )
    }
  }
  list(ni = as.numeric(res$ni), tests = out)
}

bcg <- read.csv("data/bcg.csv")
bcg_es <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
bcg_na <- bcg
bcg_na$tneg[3] <- NA
bcg_na_es <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg_na)
nor <- read.csv("data/normand1999.csv")
nor_es <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = nor)

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  sizes = sizes,
  regtest = list(
    bcg = regtests(bcg_es),
    bcg_incomplete = regtests(suppressWarnings(bcg_na_es)),
    normand1999 = regtests(nor_es)
  )
)
write_json(out, "fixtures/escalc_ni.json", digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
