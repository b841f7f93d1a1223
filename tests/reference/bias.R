# Reference values for metaatt.bias (egger_test, rank_correlation_test, trim_and_fill,
# pet_peese, selection_model, fail_safe_n) from metafor's regtest, ranktest, trimfill,
# selmodel and fsn. Writes fixtures/bias.json. Run from tests/reference/ (regenerate.sh).
#
# Datasets: random ones generated here with fixed seeds (various k, homogeneous and very
# heterogeneous, unequal variances, funnel asymmetry, ties), and published examples:
#   dat.bcg (log RR; metafor trimfill/ranktest help pages: ranktest tau = 0.0256, p = 0.9524;
#     EE trim-and-fill: 4 missing on the right (SE = 2.3853), estimate -0.2910),
#   dat.egger2001 (log OR; Egger et al. 2001, ch. 11: without ISIS-4 the classic Egger test
#     gives t = -3.1783, df = 13, p = 0.0073, limit estimate -0.1512 [-0.5130, 0.2106]),
#   dat.hackshaw1998 (log OR; Becker 2005: Rosenthal fail-safe N 393, Rosenberg 202; step
#     function selection model, steps .05/.10/.50/1: delta 2.422079, 0.977543, 0.396713,
#     LRT 7.066137, tau2 0.03071325),
#   dat.raudenbush1985 (SMD; Becker 2005: Rosenthal fail-safe N 26, Orwin (target .05) 44).
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

ctrl <- list(threshold = 1e-12, maxiter = 10000, tol = 1e-13)
sel_ctrl <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-15, maxit = 10000)

# trimfill() fits its trimmed models without passing the model's control settings on, so
# they stop at metafor's default convergence threshold (1e-5). To get reference values at
# full precision, calls of rma.uni() inside metafor that carry no control settings get
# `ctrl` (the algorithms are unchanged; only the iterative tau^2 fits converge further).
local({
  ns <- asNamespace("metafor")
  original <- get("rma.uni", envir = ns)
  precise <- function(...) {
    args <- list(...)
    if (is.null(args$control) || length(args$control) == 0) args$control <- ctrl
    do.call(original, args)
  }
  unlockBinding("rma.uni", ns)
  assign("rma.uni", precise, envir = ns)
  lockBinding("rma.uni", ns)
})

datasets <- list()
add_dataset <- function(name, yi, vi, ni = NULL) {
  d <- list(yi = as.numeric(yi), vi = as.numeric(vi))
  if (!is.null(ni)) d$ni <- as.numeric(ni)
  datasets[[name]] <<- d
}

# --- random datasets ------------------------------------------------------------------
gen <- function(seed, k, mu, tau2, bias = 0, nmin = 20, nmax = 400, select = FALSE) {
  set.seed(seed)
  ni <- sample(nmin:nmax, k * (if (select) 3 else 1), replace = TRUE)
  vi <- 4 / ni * runif(length(ni), 0.8, 1.25)
  yi <- rnorm(length(ni), mu + bias * sqrt(vi), sqrt(vi + tau2))
  if (select) {
    p <- pnorm(yi / sqrt(vi), lower.tail = FALSE)
    keep <- p < 0.05 | runif(length(p)) < 0.3
    keep <- which(keep)[seq_len(min(k, sum(keep)))]
    ni <- ni[keep]; vi <- vi[keep]; yi <- yi[keep]
  }
  list(yi = yi, vi = vi, ni = ni)
}
specs <- list(
  r01 = list(seed = 101, k = 6, mu = 0.2, tau2 = 0),
  r02 = list(seed = 102, k = 10, mu = 0.1, tau2 = 0.05, bias = 2),
  r03 = list(seed = 103, k = 15, mu = 0.4, tau2 = 0.3, bias = -1.5),
  r04 = list(seed = 104, k = 25, mu = 0.0, tau2 = 0.02, bias = 1),
  r05 = list(seed = 105, k = 40, mu = 0.1, tau2 = 0.1, select = TRUE),
  r06 = list(seed = 106, k = 9, mu = 0.5, tau2 = 0.01, nmin = 10, nmax = 2000),
  r07 = list(seed = 107, k = 60, mu = 0.2, tau2 = 0.04, bias = 0.8),
  r08 = list(seed = 108, k = 20, mu = 0.3, tau2 = 0.15, select = TRUE)
)
for (name in names(specs)) {
  d <- do.call(gen, specs[[name]])
  add_dataset(name, d$yi, d$vi, d$ni)
}
# ties in vi (rank test without an exact p-value) and few studies
set.seed(109)
vi_t <- rep(c(0.02, 0.05, 0.1, 0.2), length.out = 12)
add_dataset("r09_ties", rnorm(12, 0.3, sqrt(vi_t + 0.05)), vi_t, rep(c(200, 80, 40, 20), 3))
set.seed(110)
vi_s <- runif(4, 0.01, 0.1)
add_dataset("r10_k4", rnorm(4, 0.2, sqrt(vi_s)), vi_s, round(4 / vi_s))

# --- published datasets ---------------------------------------------------------------
bcg <- read.csv("data/bcg.csv")
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
add_dataset("bcg", d$yi, d$vi, bcg$tpos + bcg$tneg + bcg$cpos + bcg$cneg)
eg <- read.csv("data/egger2001.csv")
d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = eg)
add_dataset("egger2001", d$yi, d$vi, eg$n1i + eg$n2i)
add_dataset("egger2001_no_isis4", d$yi[-16], d$vi[-16], (eg$n1i + eg$n2i)[-16])
hk <- read.csv("data/hackshaw1998.csv")
add_dataset("hackshaw1998", hk$yi, hk$vi)
ra <- read.csv("data/raudenbush1985.csv")
add_dataset("raudenbush1985", ra$yi, ra$vi, ra$n1i + ra$n2i)

fit <- function(d, method, test = "z") {
  args <- list(yi = d$yi, vi = d$vi, method = method, test = test, control = ctrl)
  if (!is.null(d$ni)) args$ni <- d$ni
  suppressWarnings(do.call(rma, args))
}
num <- function(x) if (is.null(x)) NA else unname(as.numeric(x))

# --- regtest --------------------------------------------------------------------------
regtests <- list()
methods <- c("EE", "DL", "REML", "ML", "PM", "HE", "SJ", "HS", "EB")
for (name in names(datasets)) {
  d <- datasets[[name]]
  if (length(d$yi) < 4) next
  combos <- list()
  for (m in methods) combos[[length(combos) + 1]] <- list(m, "z", "rma", "sei")
  for (pr in c("vi", "ni", "ninv", "sqrtni", "sqrtninv")) {
    combos[[length(combos) + 1]] <- list("REML", "z", "rma", pr)
    combos[[length(combos) + 1]] <- list("EE", "z", "lm", pr)
  }
  combos[[length(combos) + 1]] <- list("EE", "z", "lm", "sei")
  for (tt in c("knha", "adhoc", "t")) {
    combos[[length(combos) + 1]] <- list("REML", tt, "rma", "sei")
    combos[[length(combos) + 1]] <- list("DL", tt, "rma", "vi")
  }
  for (cb in combos) {
    if (is.null(d$ni) && cb[[4]] %in% c("ni", "ninv", "sqrtni", "sqrtninv")) next
    res <- fit(d, cb[[1]], cb[[2]])
    r <- tryCatch(suppressWarnings(regtest(res, model = cb[[3]], predictor = cb[[4]], ret.fit = TRUE)),
                  error = function(e) NULL)
    if (is.null(r)) next
    coefs <- if (cb[[3]] == "rma") coef(r$fit) else coef(r$fit)
    ses <- if (cb[[3]] == "rma") r$fit$se else summary(r$fit)$coefficients[, 2]
    regtests[[length(regtests) + 1]] <- list(
      dataset = name, method = cb[[1]], test = cb[[2]], model = cb[[3]], predictor = cb[[4]],
      zval = num(r$zval), pval = num(r$pval), dfs = num(r$dfs),
      est = num(r$est), ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub),
      coef = num(coefs), se = num(ses),
      tau2 = if (cb[[3]] == "rma") num(r$fit$tau2) else NA)
  }
}

# --- ranktest -------------------------------------------------------------------------
ranktests <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  r <- ranktest(d$yi, d$vi)
  ranktests[[length(ranktests) + 1]] <- list(dataset = name, tau = num(r$tau), pval = num(r$pval))
}

# --- trimfill -------------------------------------------------------------------------
trimfills <- list()
tf_one <- function(name, d, method, estimator, side = NULL, test = "z", ilim = NULL) {
  res <- fit(d, method, test)
  args <- list(x = res, estimator = estimator)
  if (!is.null(side)) args$side <- side
  if (!is.null(ilim)) args$ilim <- ilim
  tf <- tryCatch(suppressWarnings(do.call(trimfill, args)), error = function(e) NULL)
  if (is.null(tf)) return(NULL)
  # trimfill() neither passes the control settings nor the test to its final fit; refit the
  # augmented data at full precision (z test, as trimfill does)
  fill <- as.logical(tf$fill)
  k0 <- num(tf$k0); se_k0 <- num(tf$se.k0); p_k0 <- num(tf$p.k0); side <- tf$side
  tf <- suppressWarnings(rma(tf$yi, tf$vi, method = method, control = ctrl))
  list(dataset = name, method = method, test = test, estimator = estimator,
       side_arg = if (is.null(side)) NA else side, ilim = if (is.null(ilim)) NA else ilim,
       k0 = k0, se_k0 = se_k0, p_k0 = p_k0, side = side,
       yi = num(tf$yi), vi = num(tf$vi), fill = fill,
       estimate = num(tf$beta), se = num(tf$se), zval = num(tf$zval), pval = num(tf$pval),
       ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub), tau2 = num(tf$tau2), QE = num(tf$QE),
       QEp = num(tf$QEp), I2 = num(tf$I2), H2 = num(tf$H2), k = num(tf$k))
}
for (name in names(datasets)) {
  d <- datasets[[name]]
  if (length(d$yi) < 4) next
  for (m in c("EE", "DL", "REML", "ML", "PM")) {
    for (est in c("L0", "R0", "Q0")) {
      out <- tf_one(name, d, m, est)
      if (!is.null(out)) trimfills[[length(trimfills) + 1]] <- out
    }
  }
  for (sd in c("left", "right")) {
    out <- tf_one(name, d, "REML", "L0", side = sd)
    if (!is.null(out)) trimfills[[length(trimfills) + 1]] <- out
  }
  out <- tf_one(name, d, "DL", "L0", test = "knha")
  if (!is.null(out)) trimfills[[length(trimfills) + 1]] <- out
}
for (il in list(c(-0.2, 1.1), c(-0.3, Inf), c(0, 0.5))) {
  out <- tf_one("r02", datasets$r02, "EE", "L0", ilim = il)
  if (!is.null(out)) trimfills[[length(trimfills) + 1]] <- out
}
# limits narrower than the observed outcomes: with studies filled, metafor holds every outcome
# of the augmented data (observed ones too) within ilim; with none filled the model is returned
for (sd in c("left", "right")) {
  out <- tf_one("r03", datasets$r03, "REML", "R0", side = sd, ilim = c(0, 0.6))
  if (!is.null(out)) trimfills[[length(trimfills) + 1]] <- out
}

# --- selmodel (step function) ---------------------------------------------------------
selmodels <- list()
sel_one <- function(name, d, method, steps, alternative = "greater") {
  res <- fit(d, method)
  s <- tryCatch(suppressWarnings(selmodel(res, type = "stepfun", steps = steps,
                                          alternative = alternative, control = sel_ctrl)),
                error = function(e) conditionMessage(e))
  if (is.character(s)) {
    return(list(dataset = name, method = method, steps = steps, alternative = alternative,
                error = s))
  }
  # optim's BFGS stops short of the maximum on some surfaces: polish with bobyqa started at
  # its solution and keep the better fit
  init <- list(beta.init = c(s$beta), delta.init = s$delta)
  if (method != "EE") init$tau2.init <- max(s$tau2, 1e-6)
  s2 <- tryCatch(suppressWarnings(selmodel(res, type = "stepfun", steps = steps,
                                           alternative = alternative,
                                           control = c(list(optimizer = "bobyqa", rhoend = 1e-12), init))),
                 error = function(e) NULL)
  if (!is.null(s2) && s2$ll > s$ll) s <- s2
  list(dataset = name, method = method, steps = steps, alternative = alternative,
       estimate = num(s$beta), se = num(s$se), zval = num(s$zval), pval = num(s$pval),
       ci_lb = num(s$ci.lb), ci_ub = num(s$ci.ub), tau2 = num(s$tau2),
       se_tau2 = num(s$se.tau2), delta = num(s$delta), se_delta = num(s$se.delta),
       zval_delta = num(s$zval.delta), pval_delta = num(s$pval.delta),
       ci_lb_delta = num(s$ci.lb.delta), ci_ub_delta = num(s$ci.ub.delta),
       LRT = num(s$LRT), LRTdf = num(s$LRTdf), LRTp = num(s$LRTp),
       LRT_tau2 = num(s$LRT.tau2), LRTp_tau2 = num(s$LRTp.tau2), ll = num(s$ll),
       ll0 = num(s$ll0), k_interval = num(table(factor(s$pgrp, levels = seq_along(s$steps)))))
}
sel_cases <- list(
  list("hackshaw1998", "REML", c(.05, .10, .50, 1)),
  list("hackshaw1998", "ML", c(.025, 1)),
  list("hackshaw1998", "EE", c(.05, .50, 1)),
  list("hackshaw1998", "REML", c(.05, .50), "two.sided"),
  list("r05", "REML", c(.025, 1)),
  list("r05", "REML", c(.05, .5, 1)),
  list("r05", "EE", c(.025, 1)),
  list("r08", "ML", c(.05, 1)),
  list("r07", "REML", c(.025, .5, 1)),
  list("r07", "REML", c(.025, 1), "less"),
  list("r04", "DL", c(.10, 1)),
  list("bcg", "REML", c(.025, 1), "less"),
  list("r03", "REML", c(.01, 1)),
  list("r01", "REML", c(.001, 1))
)
for (cs in sel_cases) {
  alt <- if (length(cs) > 3) cs[[4]] else "greater"
  selmodels[[length(selmodels) + 1]] <- sel_one(cs[[1]], datasets[[cs[[1]]]], cs[[2]], cs[[3]], alt)
}

# --- fsn ------------------------------------------------------------------------------
fsns <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  add <- function(type, alpha = 0.05, target = NULL, weighted = FALSE) {
    args <- list(yi = d$yi, vi = d$vi, type = type, alpha = alpha, weighted = weighted)
    if (!is.null(target)) args$target <- target
    f <- do.call(fsn, args)
    fsns[[length(fsns) + 1]] <<- list(
      dataset = name, type = type, alpha = alpha, target_arg = if (is.null(target)) NA else target,
      weighted = weighted, fsnum = num(f$fsnum), pval = num(f$pval), meanes = num(f$meanes),
      target = num(f$target))
  }
  add("Rosenthal"); add("Rosenthal", alpha = 0.01)
  add("Orwin"); add("Orwin", weighted = TRUE); add("Orwin", target = 0.05)
  add("Orwin", target = -0.05, weighted = TRUE)
  add("Rosenberg"); add("Rosenberg", alpha = 0.1)
}
for (tg in c(0.049)) {
  d <- datasets$hackshaw1998
  for (w in c(FALSE, TRUE)) {
    f <- fsn(d$yi, d$vi, type = "Orwin", target = tg, weighted = w)
    fsns[[length(fsns) + 1]] <- list(dataset = "hackshaw1998", type = "Orwin", alpha = 0.05,
      target_arg = tg, weighted = w, fsnum = num(f$fsnum), pval = num(f$pval),
      meanes = num(f$meanes), target = num(f$target))
  }
}

out <- list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  datasets = datasets,
  regtest = regtests,
  ranktest = ranktests,
  trimfill = trimfills,
  selmodel = selmodels,
  fsn = fsns
)
write_json(out, "fixtures/bias.json", digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
cat("wrote fixtures/bias.json:", length(regtests), "regtest,", length(trimfills), "trimfill,",
    length(selmodels), "selmodel,", length(fsns), "fsn\n")
