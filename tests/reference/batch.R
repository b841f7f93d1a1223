# Reference values for metaatt.pool_batch (tests/test_batch_reference.py): metafor's rma.uni
# for every tau^2 estimator and test on random datasets and three published examples.
# Writes tests/reference/fixtures/batch.json. Run from this directory:
#   Rscript --vanilla batch.R
suppressMessages({
  library(metafor)
  library(jsonlite)
})

set.seed(20240611)
datasets <- list()
add <- function(id, yi, vi, source) {
  datasets[[length(datasets) + 1]] <<- list(id = id, yi = yi, vi = vi, source = source)
}

# Random datasets: k from 2 to 60, homogeneous to very heterogeneous, variances of similar
# size or spread over three orders of magnitude.
for (k in c(2, 3, 5, 10, 20, 60)) {
  for (tau2 in c(0, 0.05, 0.5)) {
    for (spread in c("narrow", "wide")) {
      vi <- if (spread == "narrow") runif(k, 0.01, 0.1) else exp(runif(k, log(0.001), log(1)))
      yi <- rnorm(k, 0.3, sqrt(vi + tau2))
      add(sprintf("random k=%d tau2=%g %s", k, tau2, spread), yi, vi, "random (set.seed(20240611))")
    }
  }
}
# Edge cases: one study; identical outcomes (Q = 0); outcomes far from zero with tiny spread
# (raw means); very small sampling variances.
add("single study", 0.42, 0.05, "constructed")
add("identical outcomes", rep(0.25, 4), c(0.01, 0.02, 0.05, 0.1), "constructed")
add("large mean", 1000 + rnorm(8, 0, 0.5), runif(8, 0.05, 0.3), "random (set.seed(20240611))")
add("tiny variances", rnorm(6, 0, 0.01), runif(6, 1e-6, 1e-5), "random (set.seed(20240611))")

# Published examples (tests/reference/data/README.md gives the sources).
bcg <- read.csv("data/bcg.csv")
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
add("bcg", as.numeric(bcg$yi), as.numeric(bcg$vi),
    "Colditz et al. (1994), dat.bcg, log RR; metafor rma.uni example (reference-cases.md case 1)")
raud <- read.csv("data/raudenbush1985.csv")
add("raudenbush1985", raud$yi, raud$vi,
    "Raudenbush (2009) Table 16.3, dat.raudenbush1985 (reference-cases.md case 4)")
norm <- read.csv("data/normand1999.csv")
norm <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
               n2i = n2i, data = norm)
add("normand1999", as.numeric(norm$yi), as.numeric(norm$vi),
    "Normand (1999), dat.normand1999, mean difference (reference-cases.md case 3)")

methods <- c("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM")
tests <- c("z", "t", "knha", "adhoc")
control <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000, tau2.max = 1e6)
num <- function(x) if (is.null(x) || length(x) == 0) NA_real_ else as.numeric(x)[1]

fits <- list()
for (d in datasets) {
  k <- length(d$yi)
  for (m in methods) {
    for (t in tests) {
      if (k == 1 && t != "z") next
      res <- suppressWarnings(rma(d$yi, d$vi, method = m, test = t, control = control))
      pred <- predict(res)
      row <- list(
        dataset = d$id, method = m, test = t, k = k,
        estimate = num(res$b), se = num(res$se), statistic = num(res$zval),
        pval = num(res$pval), ci_low = num(res$ci.lb), ci_high = num(res$ci.ub),
        pi_low = num(pred$pi.lb), pi_high = num(pred$pi.ub),
        tau2 = num(res$tau2), se_tau2 = num(res$se.tau2), i2 = num(res$I2), h2 = num(res$H2),
        q = num(res$QE), q_pval = num(res$QEp)
      )
      if (m != "EE" && k > 1 && t == "z") {
        ci <- suppressWarnings(confint(res, control = list(tol = 1e-12, tau2.max = 1e6)))$random
        row$tau2_ci_low <- num(ci["tau^2", "ci.lb"])
        row$tau2_ci_high <- num(ci["tau^2", "ci.ub"])
        row$i2_ci_low <- num(ci["I^2(%)", "ci.lb"])
        row$i2_ci_high <- num(ci["I^2(%)", "ci.ub"])
        row$h2_ci_low <- num(ci["H^2", "ci.lb"])
        row$h2_ci_high <- num(ci["H^2", "ci.ub"])
      }
      fits[[length(fits) + 1]] <- row
    }
  }
}

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  control = control,
  datasets = datasets,
  fits = fits
)
dir.create("fixtures", showWarnings = FALSE)
write_json(out, "fixtures/batch.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat("wrote fixtures/batch.json:", length(datasets), "datasets,", length(fits), "fits\n")
