# Reference values for metaatt.diagnostics (leave_one_out, influence, cumulative, baujat)
# from metafor's leave1out, influence, cumul and baujat. Writes fixtures/diagnostics.json.
# Run from tests/reference/ (regenerate.sh).
#
# Published example: dat.bcg, log RR, REML (metafor tests/testthat/test_misc_influence.r):
# study 1 rstudent -0.218142474344442, dffits -0.0407075604868486, cook.d 0.00171654236729195,
# cov.r 1.11644891104804, tau2.del 0.336156745300306, QE.del 151.582572747109,
# hat 0.0505948307931551; leave1out row 1 estimate -0.707083788031436, se 0.189961024702717.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

pdf(NULL)  # baujat() draws its plot; keep no Rplots.pdf
ctrl <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-13)
num <- function(x) unname(as.numeric(x))

datasets <- list()
gen <- function(seed, k, mu, tau2, vmin, vmax, p = 0) {
  set.seed(seed)
  vi <- runif(k, vmin, vmax)
  X <- if (p > 0) matrix(round(rnorm(k * p), 3), k, p) else NULL
  eta <- mu + if (p > 0) X %*% rep(0.3, p) else 0
  yi <- rnorm(k, eta, sqrt(vi + tau2))
  d <- list(yi = yi, vi = vi)
  if (p > 0) d$X <- unname(cbind(1, X))
  d
}
datasets$r01 <- gen(201, 5, 0.2, 0, 0.01, 0.1)
datasets$r02 <- gen(202, 12, 0.5, 0.2, 0.02, 0.5)
datasets$r03 <- gen(203, 30, -0.1, 0.05, 0.001, 1)
datasets$r04 <- gen(204, 8, 0.1, 1, 0.05, 0.06)
datasets$r05_mods <- gen(205, 15, 0.2, 0.1, 0.02, 0.3, p = 2)
datasets$r06_mods <- gen(206, 9, 0.0, 0.0, 0.05, 0.2, p = 1)
datasets$r07_k3 <- gen(207, 3, 0.3, 0.1, 0.02, 0.2)
bcg <- read.csv("data/bcg.csv")
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
datasets$bcg <- list(yi = num(d$yi), vi = num(d$vi), year = bcg$year)
datasets$bcg_ablat <- list(yi = num(d$yi), vi = num(d$vi), X = unname(cbind(1, bcg$ablat)))

fit <- function(d, method, test = "z") {
  if (is.null(d$X)) {
    suppressWarnings(rma(d$yi, d$vi, method = method, test = test, control = ctrl))
  } else {
    suppressWarnings(rma(d$yi, d$vi, mods = d$X, intercept = FALSE, method = method,
                         test = test, control = ctrl))
  }
}

cases <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  methods <- c("EE", "DL", "REML", "ML", "PM", "HE", "SJ", "EB", "HS")
  for (m in methods) {
    for (tt in c("z", "knha")) {
      if (tt == "knha" && !(m %in% c("REML", "DL"))) next
      res <- fit(d, m, tt)
      case <- list(dataset = name, method = m, test = tt)
      inf <- suppressWarnings(influence(res))
      case$influence <- list(
        rstudent = num(inf$inf$rstudent), dffits = num(inf$inf$dffits),
        cook_d = num(inf$inf$cook.d), cov_r = num(inf$inf$cov.r),
        tau2_del = num(inf$inf$tau2.del), QE_del = num(inf$inf$QE.del),
        hat = num(inf$inf$hat), weight = num(inf$inf$weight),
        dfbs = unname(as.matrix(as.data.frame(inf$dfbs))), inf = as.logical(inf$is.infl))
      b <- suppressWarnings(baujat(res))
      case$baujat <- list(x = num(b$x), y = num(b$y))
      if (is.null(d$X)) {
        l <- suppressWarnings(leave1out(res))
        case$leave1out <- list(
          estimate = num(l$estimate), se = num(l$se),
          zval = num(if (is.null(l$zval)) l$tval else l$zval), pval = num(l$pval),
          ci_lb = num(l$ci.lb), ci_ub = num(l$ci.ub), Q = num(l$Q), Qp = num(l$Qp),
          tau2 = num(l$tau2), I2 = num(l$I2), H2 = num(l$H2))
        ord <- if (!is.null(d$year)) d$year else d$vi
        for (use_order in c(FALSE, TRUE)) {
          cm <- if (use_order) suppressWarnings(cumul(res, order = ord)) else suppressWarnings(cumul(res))
          entry <- list(
            estimate = num(cm$estimate), se = num(cm$se),
            zval = num(if (is.null(cm$zval)) cm$tval else cm$zval), pval = num(cm$pval),
            ci_lb = num(cm$ci.lb), ci_ub = num(cm$ci.ub), Q = num(cm$Q), Qp = num(cm$Qp),
            tau2 = num(cm$tau2), I2 = num(cm$I2), H2 = num(cm$H2), slab = as.character(cm$slab))
          if (use_order) case$cumul_order <- entry else case$cumul <- entry
        }
      }
      cases[[length(cases) + 1]] <- case
    }
  }
}

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  datasets = datasets,
  cases = cases
)
write_json(out, "fixtures/diagnostics.json", digits = NA, auto_unbox = TRUE, na = "null")
cat("wrote fixtures/diagnostics.json:", length(cases), "cases\n")
