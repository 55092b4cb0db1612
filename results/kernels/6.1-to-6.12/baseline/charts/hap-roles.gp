set terminal pngcairo size 1100,600 font "sans,11" noenhanced
set output "hap-roles.png"
set title "HAP_fn: unique host kernel functions by role (mean; a name two roles reached counts once, as shared)\nLinux 6.1.0-57-amd64, mode function_graph,syscalls"
set style data histograms
set style histogram rowstacked
set boxwidth 0.7
set style fill solid 0.8 border -1
set key outside right top
set grid ytics
set yrange [0:*]
set xtics nomirror rotate by -30
set ylabel "hap_fn per role"
plot for [i=2:6] "hap-roles.dat" using i:xtic(1) title columnheader(i), \
     "" using 7:xtic(1) title columnheader(7) lc rgb "#999999" fillstyle pattern 4 border -1
set terminal svg size 1100,600 font "sans,11" noenhanced dynamic
set output "hap-roles.svg"
replot
unset output
