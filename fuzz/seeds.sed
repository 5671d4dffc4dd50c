s/\b\(landau_particles\|cs_kinetic\|cs_particles\)\b/fz_model/g
s/\b\(bkw\|maxwellian\|bimaxwellian\|rosenbluth\|cs_gaussian\|cs_patch\)\b/fz_init/g
s/\b\(euler\|rk4\|ssprk3\|dopri54\|bs32\|gsl_[a-z0-9]*\)\b/fz_euler/g
s/\b\(gaussian\|exponential\)\b/fz_moll/g
s/\bpower_law\b/fz_kernel/g
s/\b\(bkw_error\|particles\|cs_grid\|cs_exact_error\|cs_moments\)\b/fz_diag/g
