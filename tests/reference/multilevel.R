# Reference values for three-level models (rma.mv) and aggregation of dependent effects.
# Writes tests/reference/fixtures/multilevel.json (run from tests/reference/, see regenerate.sh).
#
# Contents
#   published:   Konstantopoulos (2011), reference-cases.md case 16 (REML, ML, with a moderator)
#   random:      random three-level datasets (fixed seeds): 4-40 studies with 1-6 effects each,
#                variance components from 0 to 0.5, REML and ML, z and t tests, moderators,
#                es_id groups shared by several rows
#   aggregate:   aggregate.escalc (struct "ID" / "CS" with several rho, weighted or not)
# Fits are converged tightly (nlminb rel.tol 1e-12) where nlminb manages, else with metafor's
# defaults ('tight' records which); profile CIs (uniroot tol 1e-12) use the default-control
# fit, since refits under the tight control sometimes fail or stop early near sigma2 = 0.
suppressMessages({
  library(metafor)
  library(jsonlite)
})

ctrl <- list(rel.tol = 1e-12, iter.max = 10000, eval.max = 20000)
ci_ctrl <- list(tol = 1e-12, maxiter = 10000)

profile_ci <- function(res, j) {
  out <- tryCatch({
    ci <- suppressWarnings(confint(res, sigma2 = j, control = ci_ctrl))$random
    unname(ci[1, 2:3])
  }, error = function(e) c(NA, NA))
  out
}

i2_levels <- function(res) {
  # metafor FAQ "I^2 for multilevel and multivariate models" (Cheung 2014)
  W <- diag(1 / res$vi)
  X <- model.matrix(res)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  typical <- (res$k - res$p) / sum(diag(P))
  100 * res$sigma2 / (sum(res$sigma2) + typical)
}

describe <- function(res, newmods = NULL, res_ci = res) {
  fs <- fitstats(res)
  out <- list(
    names = rownames(res$beta), coef = as.vector(res$beta), se = res$se, zval = res$zval,
    pval = res$pval, ci_lb = res$ci.lb, ci_ub = res$ci.ub, vb = unname(res$vb),
    sigma2 = res$sigma2, sigma2_ci_1 = profile_ci(res_ci, 1), sigma2_ci_2 = profile_ci(res_ci, 2),
    s_nlevels = res$s.nlevels, logLik = as.vector(logLik(res)),
    AIC = fs["AIC:", 1], BIC = fs["BIC:", 1], AICc = fs["AICc:", 1],
    QE = res$QE, QEp = res$QEp, QM = res$QM, QMp = res$QMp, QMdf = res$QMdf,
    I2 = i2_levels(res), k = res$k, p = res$p, ddf = res$ddf
  )
  pr <- if (is.null(newmods)) predict(res) else predict(res, newmods = newmods)
  out$pred <- list(pred = pr$pred, se = pr$se, ci_lb = pr$ci.lb, ci_ub = pr$ci.ub,
                   pi_lb = pr$pi.lb, pi_ub = pr$pi.ub, newmods = newmods)
  out
}

fit_case <- function(name, dat, method, test = "z", mods = NULL, newmods = NULL,
                     es = FALSE, source = NULL) {
  random <- if (es) ~ 1 | study / es else ~ 1 | study / row
  dat$row <- seq_len(nrow(dat))
  args <- list(yi = dat$yi, V = dat$vi, random = random, data = dat, method = method,
               test = test)
  if (!is.null(mods)) args$mods <- mods
  # tight convergence where nlminb achieves it; metafor's defaults otherwise
  res_default <- do.call(rma.mv, args)
  res <- tryCatch(do.call(rma.mv, c(args, list(control = ctrl))), error = function(e) res_default)
  X <- if (is.null(mods)) NULL else unname(model.matrix(res)[, -1, drop = FALSE])
  list(name = name, source = source, tight = isTRUE(res$control$rel.tol == 1e-12), yi = dat$yi, vi = dat$vi, study = as.character(dat$study),
       es = if (es) as.character(dat$es) else NULL, X = X, method = method, test = test,
       expected = describe(res, newmods, res_default))
}

# ---------------------------------------------------------------- published
published <- list()
k11 <- read.csv("data/konstantopoulos2011.csv")
k11$study <- k11$district
src <- "reference-cases.md case 16: Konstantopoulos (2011), schools within districts"
published$konstantopoulos_reml <- fit_case("konstantopoulos_reml", k11, "REML", source = src)
published$konstantopoulos_ml <- fit_case("konstantopoulos_ml", k11, "ML", source = src)
k11$year_c <- k11$year - 1970
published$konstantopoulos_year_t <- fit_case("konstantopoulos_year_t", k11, "REML", "t",
  mods = ~ year_c, newmods = c(-5, 0, 5), source = paste(src, "with year - 1970, t test"))

# ---------------------------------------------------------------- random
random <- list()
for (i in 1:24) {
  set.seed(31000 + i)
  n_studies <- sample(c(4, 6, 10, 20, 40), 1)
  sizes <- sample(1:6, n_studies, replace = TRUE)
  if (all(sizes == 1)) sizes[1:2] <- 3
  study <- rep(sprintf("s%02d", seq_len(n_studies)), sizes)
  k <- length(study)
  s_b <- sample(c(0, 0.02, 0.1, 0.5), 1)
  s_w <- sample(c(0, 0.02, 0.1, 0.5), 1)
  vi <- runif(k, 0.01, 0.3)
  u <- rnorm(n_studies, 0, sqrt(s_b))[match(study, unique(study))]
  es <- NULL
  use_es <- i %% 6 == 0
  if (use_es) {
    es <- unlist(lapply(sizes, function(n) ceiling(seq_len(n) / 2)))
    w <- rnorm(k, 0, sqrt(s_w))[match(paste(study, es), unique(paste(study, es)))]
  } else {
    w <- rnorm(k, 0, sqrt(s_w))
  }
  x <- round(rnorm(k, 5, 2), 1)
  g <- rbinom(k, 1, 0.4)
  use_mods <- i %% 3 == 0
  yi <- 0.3 + (if (use_mods) 0.05 * x - 0.2 * g else 0) + u + w + rnorm(k, 0, sqrt(vi))
  dat <- data.frame(yi = yi, vi = vi, study = study, x = x, g = g)
  if (use_es) dat$es <- es
  method <- c("REML", "ML")[i %% 2 + 1]
  test <- c("z", "z", "t")[i %% 3 + 1]
  mods <- if (use_mods) ~ x + g else NULL
  newmods <- if (use_mods) rbind(c(4, 0), c(6, 1)) else NULL
  random[[i]] <- fit_case(sprintf("random_%02d", i), dat, method, test, mods, newmods,
    es = use_es, source = sprintf("random dataset, seed %d, sigma2 (%g, %g)", 31000 + i, s_b, s_w))
}

# ---------------------------------------------------------------- aggregate
aggregate_cases <- list()
for (i in 1:6) {
  set.seed(41000 + i)
  n_studies <- sample(4:10, 1)
  sizes <- sample(1:4, n_studies, replace = TRUE)
  study <- rep(seq_len(n_studies), sizes)
  k <- length(study)
  dat <- escalc(measure = "GEN", yi = rnorm(k, 0.3, 0.3), vi = runif(k, 0.01, 0.2))
  dat$study <- study
  for (struct in c("ID", "CS")) {
    for (rho in if (struct == "ID") 0 else c(0.2, 0.5, 0.8)) {
      for (weighted in c(TRUE, FALSE)) {
        agg <- if (struct == "ID") {
          aggregate(dat, cluster = study, struct = "ID", weighted = weighted)
        } else {
          aggregate(dat, cluster = study, struct = "CS", rho = rho, weighted = weighted)
        }
        aggregate_cases[[length(aggregate_cases) + 1]] <- list(
          name = sprintf("seed%d_%s_rho%g_%s", 41000 + i, struct, rho, weighted),
          yi = as.vector(dat$yi), vi = as.vector(dat$vi), study = dat$study,
          struct = struct, rho = rho, weighted = weighted,
          expected = list(study = agg$study, yi = as.vector(agg$yi), vi = as.vector(agg$vi)))
      }
    }
  }
}

out <- list(
  R_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  published = published, random = random, aggregate = aggregate_cases
)
write_json(out, "fixtures/multilevel.json", digits = NA, auto_unbox = TRUE, na = "null",
           null = "null", pretty = FALSE)
cat("wrote fixtures/multilevel.json\n")
