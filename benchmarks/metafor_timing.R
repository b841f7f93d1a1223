# Timings of metafor for benchmarks/run.py (called with Rscript; prints one JSON line).
#   Rscript metafor_timing.R SINGLE_CSV BATCH_CSV REPEATS
# SINGLE_CSV: yi, vi of one meta-analysis; BATCH_CSV: g, yi, vi of several (k = 20 each).
# Every timing is the CPU time (user + system) of a loop divided by the fits in the loop,
# as the median and the minimum over REPEATS loops (the machine may be shared).
suppressMessages({
  library(metafor)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
single <- read.csv(args[1])
batch <- read.csv(args[2])
repeats <- as.integer(args[3])
yi <- single$yi
vi <- single$vi
groups <- split(batch[, c("yi", "vi")], batch$g)

cpu <- function() {
  t <- proc.time()
  t[["user.self"]] + t[["sys.self"]]
}
per_call <- function(fun, n) {
  fun()  # warm-up
  times <- numeric(repeats)
  for (r in seq_len(repeats)) {
    start <- cpu()
    for (i in seq_len(n)) fun()
    times[r] <- (cpu() - start) / n
  }
  list(median = median(times), min = min(times))
}

rma_alone <- per_call(function() rma(yi, vi), 200)
rma_full <- per_call(function() {
  res <- rma(yi, vi)
  confint(res)
  predict(res)
}, 100)
# Fisher scoring fails on a few datasets; the remedy metafor suggests is step halving
failures <- 0
fit_knha <- function(g) {
  tryCatch(rma(g$yi, g$vi, test = "knha"), error = function(e) {
    failures <<- failures + 1
    rma(g$yi, g$vi, test = "knha", control = list(stepadj = 0.5, maxiter = 1000))
  })
}
batch_fit <- per_call(function() {
  for (g in groups) predict(fit_knha(g))
}, 1)
batch_fit$median <- batch_fit$median / length(groups)
batch_fit$min <- batch_fit$min / length(groups)
# the same with the Q-profile intervals (confint), on the first 50 analyses
some <- groups[seq_len(min(50, length(groups)))]
batch_full <- per_call(function() {
  for (g in some) {
    res <- fit_knha(g)
    predict(res)
    confint(res)
  }
}, 1)
batch_full$median <- batch_full$median / length(some)
batch_full$min <- batch_full$min / length(some)

cat(toJSON(list(
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  rma = rma_alone,
  rma_confint_predict = rma_full,
  batch_per_fit = batch_fit,
  batch_per_fit_confint = batch_full,
  batch_confint_fits = length(some),
  batch_fits = length(groups),
  batch_failures_per_pass = failures / (repeats + 1)
), auto_unbox = TRUE, digits = NA), "\n")
