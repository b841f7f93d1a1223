# Reference values for cluster-robust inference.
# Writes tests/reference/fixtures/robust.json (run from tests/reference/, see regenerate.sh).
#
# For every case: metafor::robust(adjust = TRUE) ("CR1") and robust(adjust = FALSE) ("CR0"),
# and clubSandwich's CR2 directly: vcovCR(type = "CR2"), coef_test(test = "Satterthwaite")
# and Wald_test(test = "HTZ") for the model's omnibus coefficients (metafor's
# robust(clubSandwich = TRUE) reports the same numbers).
# Cases: published examples (reference-cases.md case 1: robust(res, cluster = trial) on BCG,
# vcov 0.032106, dfs 12, zval -3.98776; metafor's robust() help page examples on
# dat.bangertdrowns2004 and dat.konstantopoulos2011) and random clustered datasets
# (pooled, meta-regression with 1-3 moderators, three-level models, clusters coarser than
# studies, GENQ weights).
suppressMessages({
  library(metafor)
  library(clubSandwich)
  library(jsonlite)
})

uni_ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 100000, stepadj = 0.5)
mv_ctrl <- list(rel.tol = 1e-12, iter.max = 10000, eval.max = 20000)

robust_values <- function(res, cluster) {
  out <- list()
  for (adj in c(TRUE, FALSE)) {
    r <- robust(res, cluster = cluster, adjust = adj)
    out[[if (adj) "CR1" else "CR0"]] <- list(
      vb = unname(r$vb), se = r$se, zval = r$zval, pval = r$pval, dfs = r$dfs,
      ci_lb = r$ci.lb, ci_ub = r$ci.ub, QM = r$QM, QMp = r$QMp, QMdf = r$QMdf)
  }
  V <- vcovCR(res, cluster = cluster, type = "CR2")
  ct <- coef_test(res, vcov = V, test = "Satterthwaite")
  btt <- res$btt
  wt <- Wald_test(res, constraints = constrain_zero(btt), vcov = V, test = "HTZ")
  ci <- conf_int(res, vcov = V, level = 0.95)
  out$CR2 <- list(vb = unname(as.matrix(V)), se = ct$SE, tstat = ct$tstat, df = ct$df_Satt,
                  pval = ct$p_Satt, ci_lb = ci$CI_L, ci_ub = ci$CI_U, Fstat = wt$Fstat,
                  df_num = wt$df_num, df_denom = wt$df_denom, p_val = wt$p_val, btt = btt)
  out
}

uni_case <- function(name, yi, vi, X, cluster, method = "REML", weights = NULL, source = NULL) {
  args <- list(yi = yi, vi = vi, method = method, control = uni_ctrl)
  if (!is.null(X)) args$mods <- X
  if (!is.null(weights)) args$weights <- weights
  res <- do.call(rma, args)
  list(name = name, source = source, model = "uni", yi = yi, vi = vi,
       X = if (is.null(X)) NULL else unname(as.matrix(X)), method = method, weights = weights,
       cluster = as.character(cluster), coef = as.vector(res$beta), tau2 = res$tau2,
       expected = robust_values(res, cluster))
}

mv_case <- function(name, dat, cluster, method = "REML", mods = NULL, source = NULL) {
  dat$row <- seq_len(nrow(dat))
  args <- list(yi = dat$yi, V = dat$vi, random = ~ 1 | study / row, data = dat, method = method)
  if (!is.null(mods)) args$mods <- mods
  res <- tryCatch(do.call(rma.mv, c(args, list(control = mv_ctrl))),
                  error = function(e) do.call(rma.mv, args))
  X <- if (is.null(mods)) NULL else unname(model.matrix(res)[, -1, drop = FALSE])
  list(name = name, source = source, model = "mv", yi = dat$yi, vi = dat$vi, X = X,
       study = as.character(dat$study), method = method, cluster = as.character(cluster),
       coef = as.vector(res$beta), sigma2 = res$sigma2, expected = robust_values(res, cluster))
}

cases <- list()
bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = read.csv("data/bcg.csv"))
cases[[1]] <- uni_case("bcg_trial", as.vector(bcg$yi), as.vector(bcg$vi), NULL, bcg$trial,
  source = "reference-cases.md case 1: robust(res, cluster = trial): vcov 0.032106, dfs 12, zval -3.98776")
cases[[2]] <- uni_case("bcg_ablat_alloc", as.vector(bcg$yi), as.vector(bcg$vi),
  cbind(ablat = bcg$ablat), bcg$alloc, source = "dat.bcg, ~ ablat, clustered by allocation")
cases[[3]] <- uni_case("bcg_ablat_year_trial_dl", as.vector(bcg$yi), as.vector(bcg$vi),
  cbind(ablat = bcg$ablat, year = bcg$year), bcg$trial, method = "DL",
  source = "dat.bcg, ~ ablat + year, DL")
bd <- read.csv("data/bangertdrowns2004.csv")
cases[[4]] <- uni_case("bangertdrowns_id", bd$yi, bd$vi, NULL, bd$id,
  source = "metafor robust() help page: rma(yi, vi) on dat.bangertdrowns2004, cluster = id")
bdl <- bd[!is.na(bd$length), ]
cases[[5]] <- uni_case("bangertdrowns_length", bdl$yi, bdl$vi, cbind(length = bdl$length), bdl$id,
  source = "metafor robust() help page: mods = ~ length, cluster = id")
k11 <- read.csv("data/konstantopoulos2011.csv")
k11$study <- k11$district
cases[[6]] <- mv_case("konstantopoulos_district", k11, k11$district,
  source = "metafor robust() help page: rma.mv(random = ~ 1 | district/school), cluster = district")
k11$year_c <- k11$year - 1970
cases[[7]] <- mv_case("konstantopoulos_year", k11, k11$district, mods = ~ year_c,
  source = "dat.konstantopoulos2011 with year - 1970")

for (i in 1:16) {
  set.seed(52000 + i)
  n_studies <- sample(c(6, 10, 16, 30), 1)
  sizes <- sample(1:5, n_studies, replace = TRUE)
  if (all(sizes == 1)) sizes[1:3] <- 3
  study <- rep(seq_len(n_studies), sizes)
  k <- length(study)
  vi <- runif(k, 0.01, 0.3)
  u <- rnorm(n_studies, 0, sqrt(sample(c(0.01, 0.1, 0.4), 1)))[study]
  x1 <- round(rnorm(k, 10, 3), 1)
  x2 <- rbinom(k, 1, 0.5)
  x3 <- runif(k)
  n_mod <- (i - 1) %% 4  # 0 to 3 moderators
  X <- if (n_mod == 0) NULL else cbind(x1 = x1, x2 = x2, x3 = x3)[, seq_len(n_mod), drop = FALSE]
  yi <- 0.2 + (if (n_mod > 0) X %*% rnorm(n_mod, 0, 0.05) else 0) + u + rnorm(k, 0, sqrt(vi))
  yi <- as.vector(yi)
  # clusters: the studies, or pairs of studies (coarser than the studies)
  cluster <- if (i %% 3 == 0) ceiling(study / 2) else study
  if (i %% 2 == 1) {
    method <- c("REML", "DL", "ML", "EE")[(i %/% 2) %% 4 + 1]
    cases[[length(cases) + 1]] <- uni_case(sprintf("uni_%02d", i), yi, vi, X, cluster, method,
      source = sprintf("random clustered dataset, seed %d", 52000 + i))
  } else {
    dat <- data.frame(yi = yi, vi = vi, study = study)
    if (!is.null(X)) dat <- cbind(dat, X)
    mods <- if (is.null(X)) NULL else as.formula(paste("~", paste(colnames(X), collapse = " + ")))
    cases[[length(cases) + 1]] <- mv_case(sprintf("mv_%02d", i), dat, cluster,
      method = c("REML", "ML")[(i %/% 2) %% 2 + 1], mods = mods,
      source = sprintf("random clustered dataset, seed %d", 52000 + i))
  }
}
set.seed(777)
k <- 20; study <- rep(1:8, c(2, 3, 1, 4, 2, 3, 3, 2)); vi <- runif(k, 0.02, 0.3)
x <- rnorm(k); yi <- 0.2 + 0.1 * x + rnorm(8, 0, 0.2)[study] + rnorm(k, 0, sqrt(vi))
cases[[length(cases) + 1]] <- uni_case("genq_weights", yi, vi, cbind(x = x), study, "GENQ",
  weights = round(1 / vi), source = "random dataset, seed 777, GENQ with weights round(1/vi)")

out <- list(
  R_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  clubSandwich_version = as.character(packageVersion("clubSandwich")),
  cases = cases
)
write_json(out, "fixtures/robust.json", digits = NA, auto_unbox = TRUE, na = "null",
           null = "null", pretty = FALSE)
cat("wrote fixtures/robust.json\n")
