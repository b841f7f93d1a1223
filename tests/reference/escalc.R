# Reference values for metaatt.escalc from metafor's escalc().
#
# Writes tests/reference/fixtures/escalc.json: for every measure, random inputs generated here
# with a fixed seed (zero cells, double-zero tables, small n, edge values), every variance type
# metaatt supports, and the continuity-correction variants (add, to, drop00); plus published
# examples from /work/shared/reference-cases.md:
#   - Morris (2008), pre-post-control designs (metafor test_analysis_example_morris2008.r),
#     SMCR and SMCC for treatment and control groups (case 14);
#   - Miller (1978), Freeman-Tukey double arcsine (case 15);
#   - Normand (1999): dat.normand1999 SMD and MD, dat.hine1989 RD (case 3);
#   - Colditz et al. (1994), dat.bcg, RR / OR / RD (cases 1 and 2).
# Run from tests/reference/: Rscript --vanilla escalc.R
suppressMessages(library(metafor))
library(jsonlite)

set.seed(20240611)
cases <- list()

add_case <- function(id, measure, inputs, options = setNames(list(), character(0)),
                     source = NULL, published = NULL) {
  res <- suppressWarnings(do.call(escalc, c(list(measure = measure), inputs, options)))
  case <- list(id = id, measure = measure, inputs = inputs, options = options,
               yi = as.numeric(res$yi), vi = as.numeric(res$vi))
  if (!is.null(source)) case$source <- source
  if (!is.null(published)) case$published <- published
  cases[[length(cases) + 1]] <<- case
}

# ---------------------------------------------------------------- random inputs by family
k <- 14

two_groups <- function(positive = FALSE) {
  n1 <- c(2, 3, sample(4:250, k - 2, replace = TRUE))
  n2 <- c(3, 2, sample(4:250, k - 2, replace = TRUE))
  m1 <- if (positive) runif(k, 0.5, 40) else rnorm(k, 10, 8)
  m2 <- if (positive) runif(k, 0.5, 40) else rnorm(k, 10, 8)
  m2[4] <- m1[4]                         # no difference
  sd1 <- runif(k, 0.2, 12); sd2 <- runif(k, 0.2, 12)
  sd2[5] <- sd1[5]                       # equal SDs
  list(m1i = m1, m2i = m2, sd1i = sd1, sd2i = sd2, n1i = n1, n2i = n2)
}

prepost <- function(positive = FALSE) {
  ni <- c(3, 4, sample(5:200, k - 2, replace = TRUE))
  m1 <- if (positive) runif(k, 0.5, 40) else rnorm(k, 10, 8)
  m2 <- if (positive) runif(k, 0.5, 40) else rnorm(k, 10, 8)
  sd1 <- runif(k, 0.2, 12); sd2 <- runif(k, 0.2, 12)
  ri <- runif(k, -0.9, 0.97)
  ri[6] <- 0; sd2[6] <- 0               # SD of the change scores given as sd1i
  ri[7] <- 0.999
  m2[8] <- m1[8]
  list(m1i = m1, m2i = m2, sd1i = sd1, sd2i = sd2, ni = ni, ri = ri)
}

tables <- function() {
  n1 <- sample(5:300, k, replace = TRUE); n2 <- sample(5:300, k, replace = TRUE)
  p1 <- runif(k, 0.02, 0.6); p2 <- runif(k, 0.02, 0.6)
  ai <- rbinom(k, n1, p1); ci <- rbinom(k, n2, p2)
  ai[1] <- 0                             # one zero cell
  ai[2] <- 0; ci[2] <- 0                 # no events in either group
  ai[3] <- n1[3]; ci[3] <- n2[3]         # only events in both groups
  ci[4] <- 0
  ai[5] <- n1[5]                         # bi = 0
  n1[6] <- 1; ai[6] <- 1                 # a one-person arm
  list(ai = ai, bi = n1 - ai, ci = ci, di = n2 - ci)
}

paired_tables <- function() {
  cells <- matrix(sample(0:40, 4 * k, replace = TRUE), ncol = 4)
  cells[1, 1] <- 0; cells[2, c(2, 3)] <- 0; cells[3, c(1, 3)] <- 0; cells[4, c(2, 4)] <- 0
  cells[5, 2] <- 0; cells[6, 3] <- 0; cells[7, ] <- c(3, 5, 5, 7)
  list(ai = cells[, 1], bi = cells[, 2], ci = cells[, 3], di = cells[, 4])
}

marginal_tables <- function() {
  n <- sample(8:200, k, replace = TRUE)
  x1 <- rbinom(k, n, runif(k, 0.05, 0.7)); x2 <- rbinom(k, n, runif(k, 0.1, 0.9))
  n2 <- n; n2[9:10] <- n[9:10] + c(-3, 4)  # drop-out: unequal totals at the two occasions
  x2 <- pmin(x2, n2)
  x1[1] <- 0                             # nobody secure before (a zero margin)
  ri <- runif(k, -0.2, 0.6); ri[2] <- 0; ri[3] <- 0.95
  list(ai = x1, bi = n - x1, ci = x2, di = n2 - x2, ri = ri)
}

correlations <- function() {
  ni <- c(2, 3, 4, 5, 6, sample(7:500, k - 5, replace = TRUE))
  ri <- runif(k, -0.95, 0.95); ri[6] <- 0; ri[7] <- 0.999
  list(ri = ri, ni = ni)
}

proportions <- function() {
  ni <- c(1, 2, sample(3:400, k - 2, replace = TRUE))
  xi <- rbinom(k, ni, runif(k, 0.01, 0.9))
  xi[3] <- 0; xi[4] <- ni[4]; xi[1] <- 0
  list(xi = xi, ni = ni)
}

means <- function(positive = FALSE) {
  ni <- c(2, 3, sample(4:300, k - 2, replace = TRUE))
  mi <- if (positive) runif(k, 0.2, 50) else rnorm(k, 2, 5)
  list(mi = mi, sdi = runif(k, 0.1, 9), ni = ni)
}

vtypes <- list(MD = c("LS", "UB", "HO"), SMD = c("LS", "UB", "LS2", "AV"), SMD1 = c("LS", "UB", "LS2", "AV"),
               ROM = c("LS", "HO", "AV", "AVHO"), RPB = c("LS", "ST", "CS"), SMCC = c("LS", "LS2"),
               SMCR = c("LS", "LS2"), RD = c("LS", "UB", "AV"), PHI = c("LS", "ST", "CS"),
               COR = c("LS", "AV"), UCOR = c("LS", "UB", "AV"), PR = c("LS", "UB", "AV"),
               PLN = c("LS", "AV"), PLO = c("LS", "AV"))

run_family <- function(measures, make, reps = 2, count_variants = FALSE) {
  for (m in measures) {
    for (rep in seq_len(reps)) {
      inputs <- make()
      add_case(sprintf("%s-random%d", m, rep), m, inputs)
      for (vt in setdiff(vtypes[[m]], "LS"))
        add_case(sprintf("%s-random%d-%s", m, rep, vt), m, inputs, list(vtype = vt))
      if (count_variants && rep == 1) {
        for (to in c("all", "if0all", "none"))
          add_case(sprintf("%s-to-%s", m, to), m, inputs, list(to = to))
        add_case(sprintf("%s-drop00", m), m, inputs, list(drop00 = TRUE))
        add_case(sprintf("%s-drop00-if0all", m), m, inputs, list(drop00 = TRUE, to = "if0all"))
        add_case(sprintf("%s-add0", m), m, inputs, list(add = 0))
        add_case(sprintf("%s-add1-all", m), m, inputs, list(add = 1, to = "all"))
        add_case(sprintf("%s-add-half-explicit", m), m, inputs, list(add = 0.5))
      }
    }
  }
}

run_family(c("MD", "SMD", "SMDH", "SMD1", "SMD1H", "RPB", "D2ORN", "D2ORL", "VR"), two_groups)
run_family(c("ROM", "CVR"), function() two_groups(positive = TRUE))
run_family(c("MC", "SMCC", "SMCR", "SMCRH"), prepost)
run_family("ROMC", function() prepost(positive = TRUE))
run_family(c("RR", "OR", "RD", "AS", "PETO", "PHI", "YUQ", "YUY", "OR2DN", "OR2DL"), tables,
           count_variants = TRUE)
run_family(c("MPRD", "MPRR", "MPOR", "MPORC", "MPPETO"), paired_tables, count_variants = TRUE)
run_family("MPORM", marginal_tables, count_variants = TRUE)
run_family(c("COR", "UCOR", "ZCOR"), correlations)
run_family(c("PR", "PLN", "PLO", "PAS", "PFT"), proportions, count_variants = TRUE)
run_family(c("MN", "SMN"), means)
run_family("MNLN", function() means(positive = TRUE))

# ------------------------------------------------------------------------------- edge cases
# ratio of means with negative / zero / opposite-signed means
add_case("ROM-signs", "ROM", list(m1i = c(-1, -1, 1, 0, 1, 2), m2i = c(-2, 2, -2, 1, 0, 3),
         sd1i = rep(1, 6), sd2i = rep(1.5, 6), n1i = rep(10, 6), n2i = rep(12, 6)))
add_case("ROMC-signs", "ROMC", list(m1i = c(-1, -1, 1, 0, 2), m2i = c(-2, 2, -2, 1, 3),
         sd1i = rep(1, 5), sd2i = rep(1.5, 5), ni = rep(10, 5), ri = rep(0.4, 5)))
# zero SDs, one-person groups
add_case("SMD-degenerate", "SMD", list(m1i = c(1, 1, 1, 2), m2i = c(0, 0, 0, 2), sd1i = c(0, 1, 1, 0),
         sd2i = c(0, 1, 1, 0), n1i = c(5, 1, 2, 5), n2i = c(5, 2, 2, 5)))
# correlations of +-1
add_case("COR-bounds", "COR", list(ri = c(-1, 1, 0.5), ni = c(10, 10, 10)))
add_case("UCOR-bounds", "UCOR", list(ri = c(-1, 1, 0.5), ni = c(10, 10, 10)))
add_case("ZCOR-bounds", "ZCOR", list(ri = c(-1, 1, 0.5), ni = c(10, 10, 10)))
# missing inputs
add_case("SMD-missing", "SMD", list(m1i = c(NA, 1, 2, 3), m2i = c(0, 0, 0, 0), sd1i = c(1, 1, 1, 1),
         sd2i = c(1, NA, 1, 1), n1i = c(5, 5, 5, 5), n2i = c(5, 5, 5, 5)), list(vtype = "AV"))
add_case("MN-missing", "MN", list(mi = c(NA, 1, 2), sdi = c(1, NA, 1), ni = c(5, 5, 6)))
add_case("OR-missing", "OR", list(ai = c(NA, 2, 3), bi = c(4, 3, 0), ci = c(1, 4, 5), di = c(5, 5, 6)),
         list(to = "if0all"))
# 2x2 tables given as ai, ci, n1i, n2i
add_case("RR-from-n", "RR", list(ai = c(0, 2, 3, 5), ci = c(1, 0, 5, 0), n1i = c(10, 12, 14, 16),
         n2i = c(11, 13, 15, 17)))
add_case("MPORM-from-n", "MPORM", list(ai = c(2, 0, 5), ci = c(3, 4, 9), n1i = c(12, 12, 20),
         n2i = c(12, 12, 20), ri = c(0.2, 0.3, 0.1)))
# per-study variance types
add_case("PHI-vector-vtype", "PHI", tables(), list(vtype = rep(c("ST", "CS"), k / 2)))
add_case("RPB-vector-vtype", "RPB", two_groups(), list(vtype = rep(c("CS", "ST"), k / 2)))
add_case("SMD-vector-vtype", "SMD", two_groups(), list(vtype = rep(c("LS", "UB", "LS2", "AV", "LS", "UB", "AV"), 2)))


# degenerate inputs for every family: zero SDs and means, r = +-1, one-person groups,
# non-integer counts, missing values, all-zero tables (each through every variance type and
# correction setting)
pp <- list(m1i = c(1, 1, 2, 0, 3, 1, NA), m2i = c(1, 2, 2, 1, 0, -1, 1), sd1i = c(1, 2, 0, 1, 1, 1, 1),
           sd2i = c(1, 2, 1, 0, 1, 3, 1), ni = c(5, 6, 7, 3, 2, 10, 5), ri = c(1, 1, -1, 0, 0.5, 0.99, 0.3))
for (m in c("MC", "SMCC", "SMCR", "SMCRH", "ROMC"))
  for (vt in c("LS", vtypes[[m]][-1]))
    add_case(paste0(m, "-degenerate-", vt), m, pp, list(vtype = vt))
tg <- list(m1i = c(1, 0, 2, 1, -3, 1, 5), m2i = c(1, 2, 0, -1, -3, NA, 5), sd1i = c(1, 0, 1, 1, 2, 1, 0),
           sd2i = c(1, 0, 0, 1, 2, 1, 0), n1i = c(2, 5, 6, 3, 4, 5, 7), n2i = c(2, 5, 6, 2, 3, 5, 7))
for (m in c("MD", "SMD", "SMDH", "SMD1", "SMD1H", "ROM", "CVR", "VR", "RPB", "D2ORN", "D2ORL"))
  for (vt in c("LS", vtypes[[m]][-1]))
    add_case(paste0(m, "-degenerate-", vt), m, tg, list(vtype = vt))
tb <- list(ai = c(0, 0, 5, 2.5, 1, 0, NA, 3), bi = c(0, 3, 0, 1.5, 1, 10, 2, 3),
           ci = c(0, 0, 5, 0, 1, 0, 2, 0), di = c(5, 4, 0, 2, 0, 0, 2, 0))
for (m in c("RR", "OR", "RD", "AS", "PETO", "PHI", "YUQ", "YUY", "OR2DN", "OR2DL",
            "MPRD", "MPRR", "MPOR", "MPORC", "MPPETO"))
  for (to in c("only0", "all", "if0all", "none"))
    for (d in c(FALSE, TRUE))
      for (vt in c("LS", vtypes[[m]][-1]))
        add_case(sprintf("%s-degenerate-%s-%s-%s", m, to, d, vt), m, tb, list(to = to, drop00 = d, vtype = vt))
add_case("MPORM-degenerate", "MPORM", c(tb, list(ri = c(0, 0.1, 0.2, 0.3, -0.2, 0, 0.1, 0.5))))
add_case("MPORM-degenerate-none", "MPORM", c(tb, list(ri = c(0, 0.1, 0.2, 0.3, -0.2, 0, 0.1, 0.5))), list(to = "none"))
cr <- list(ri = c(-1, 1, 0, 0.5, -0.999, 0.3, NA, 0.2), ni = c(10, 10, 4, 5, 6, 3, 10, NA))
for (m in c("COR", "UCOR", "ZCOR"))
  for (vt in c("LS", vtypes[[m]][-1]))
    add_case(paste0(m, "-degenerate-", vt), m, cr, list(vtype = vt))
pr <- list(xi = c(0, 1, 1, 0, 5, 2.5, NA, 3), ni = c(1, 1, 2, 5, 5, 6, 5, NA))
for (m in c("PR", "PLN", "PLO", "PAS", "PFT"))
  for (to in c("only0", "all", "if0all", "none"))
    for (vt in c("LS", vtypes[[m]][-1]))
      add_case(sprintf("%s-degenerate-%s-%s", m, to, vt), m, pr, list(to = to, vtype = vt))
add_case("PR-from-mi", "PR", list(xi = c(0, 1, 3), mi = c(4, 0, 3)))
add_case("MN-degenerate", "MN", list(mi = c(0, -1, 2, 1, NA, 3), sdi = c(1, 1, 0, 1, 1, NA), ni = c(5, 5, 5, 2, 5, 5)))
add_case("SMN-degenerate", "SMN", list(mi = c(0, -1, 2, 1, NA, 3), sdi = c(1, 1, 0, 1, 1, NA), ni = c(5, 5, 5, 2, 5, 5)))
add_case("MNLN-degenerate", "MNLN", list(mi = c(0, 1, 2, 1, NA, 3), sdi = c(1, 1, 0, 1, 1, NA), ni = c(5, 5, 5, 2, 5, 5)))

# ------------------------------------------------------------------------ published examples
datT <- list(m_pre = c(30.6, 23.5, 0.5, 53.4, 35.6), m_post = c(38.5, 26.8, 0.7, 75.9, 36.0),
             sd_pre = c(15.0, 3.1, 0.1, 14.5, 4.7), sd_post = c(11.6, 4.1, 0.1, 4.4, 4.6),
             ni = c(20, 50, 9, 10, 14), ri = c(.47, .64, .77, .89, .44))
datC <- list(m_pre = c(23.1, 24.9, 0.6, 55.7, 34.8), m_post = c(19.7, 25.3, 0.6, 60.7, 33.4),
             sd_pre = c(13.8, 4.1, 0.2, 17.3, 3.1), sd_post = c(14.8, 3.3, 0.2, 17.9, 6.9),
             ni = c(20, 42, 9, 11, 14), ri = c(.47, .64, .77, .89, .44))
morris <- "Morris (2008), Organizational Research Methods 11(2), 364-386; metafor's test_analysis_example_morris2008.r"
for (arm in c("T", "C")) {
  d <- if (arm == "T") datT else datC
  smcr_pub <- if (arm == "T") list(yi = c(0.5056, 1.0481, 1.8054, 1.4181, 0.0801), vi = c(0.0594, 0.0254, 0.2322, 0.1225, 0.0802))
              else list(yi = c(-0.2365, 0.0958, 0.0000, 0.2667, -0.4250), vi = c(0.0544, 0.0173, 0.0511, 0.0232, 0.0864))
  smcc_pub <- if (arm == "T") list(yi = c(0.5417, 1.0198, 2.6619, 1.9088, 0.0765), vi = c(0.0573, 0.0304, 0.5048, 0.2822, 0.0716))
              else list(yi = c(-0.2213, 0.1219, 0.0000, 0.5575, -0.2126), vi = c(0.0512, 0.0240, 0.1111, 0.1050, 0.0730))
  add_case(paste0("morris2008-SMCR-", arm), "SMCR",
           list(m1i = d$m_post, m2i = d$m_pre, sd1i = d$sd_pre, ni = d$ni, ri = d$ri),
           source = morris, published = smcr_pub)
  add_case(paste0("morris2008-SMCC-", arm), "SMCC",
           list(m1i = d$m_post, m2i = d$m_pre, sd1i = d$sd_post, sd2i = d$sd_pre, ni = d$ni, ri = d$ri),
           source = morris, published = smcc_pub)
}
add_case("miller1978-PFT", "PFT", list(xi = c(3, 6, 10, 1), ni = c(11, 17, 21, 6)),
         source = "Miller (1978), The American Statistician 32(4), 138: 2*yi and 4*vi printed",
         published = list(yi = c(1.1391, 1.2888, 1.5253, 0.9515) / 2, vi = c(0.0870, 0.0571, 0.0465, 0.1538) / 4))

normand <- read.csv("data/normand1999.csv")
add_case("normand1999-SMD", "SMD", as.list(normand[, c("m1i", "m2i", "sd1i", "sd2i", "n1i", "n2i")]),
         source = "Normand (1999), Statistics in Medicine 18, 321-359; metafor test_misc_escalc.r (studies 1-4)",
         published = list(yi = c(-0.3552, -0.3479, -2.3176, -1.8880), vi = c(0.0131, 0.0645, 0.0458, 0.1606)))
add_case("normand1999-MD", "MD", as.list(normand[, c("m1i", "m2i", "sd1i", "sd2i", "n1i", "n2i")]),
         source = "Normand (1999), Statistics in Medicine 18, 321-359")
hine <- read.csv("data/hine1989.csv")
add_case("hine1989-RD", "RD", as.list(hine[, c("ai", "ci", "n1i", "n2i")]),
         source = "Normand (1999), Statistics in Medicine 18, 321-359, lidocaine trials (dat.hine1989); RD x 100 printed",
         published = list(yi = c(2.8026, 0.0000, 1.9711, 1.7961, 3.5334, 4.4031) / 100))
bcg <- read.csv("data/bcg.csv")
for (m in c("RR", "OR", "RD"))
  add_case(paste0("bcg-", m), m, list(ai = bcg$tpos, bi = bcg$tneg, ci = bcg$cpos, di = bcg$cneg),
           source = "Colditz et al. (1994), JAMA 271(9), 698-702 (dat.bcg)")

out <- list(
  description = "metafor escalc() reference values for metaatt.escalc; generated by tests/reference/escalc.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  seed = 20240611,
  cases = cases
)
write_json(out, "fixtures/escalc.json", digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
cat("wrote", length(cases), "cases to fixtures/escalc.json\n")
