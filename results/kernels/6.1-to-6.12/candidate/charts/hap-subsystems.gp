set terminal pngcairo size 1100,600 font "sans,11" noenhanced
set output "hap-subsystems.png"
set linetype 1 lc rgb "#332288"
set linetype 2 lc rgb "#88ccee"
set linetype 3 lc rgb "#44aa99"
set linetype 4 lc rgb "#117733"
set linetype 5 lc rgb "#999933"
set linetype 6 lc rgb "#ddcc77"
set linetype 7 lc rgb "#cc6677"
set linetype 8 lc rgb "#882255"
set linetype 9 lc rgb "#aa4499"
set linetype 10 lc rgb "#4477aa"
set linetype 11 lc rgb "#ee6677"
set linetype 12 lc rgb "#228833"
set title "HAP_fn by MAINTAINERS section (distinct functions over the cell's runs)\nLinux 6.12.95+deb12-amd64, mode function_graph,syscalls"
set style data histograms
set style histogram rowstacked
set boxwidth 0.7
set style fill solid 0.8 border -1
set key outside right top font ",9"
set grid ytics
set yrange [0:*]
set xtics nomirror rotate by -30
set ylabel "functions (union)"
plot for [i=2:13] "hap-subsystems.dat" using i:xtic(1) title columnheader(i), \
     "" using 14:xtic(1) title columnheader(14) lc rgb "#bbbbbb", \
     "" using 15:xtic(1) title columnheader(15) lc rgb "#777777", \
     "" using 16:xtic(1) title columnheader(16) lc rgb "#999999" fillstyle pattern 4 border -1
set terminal svg size 1100,600 font "sans,11" noenhanced dynamic
set output "hap-subsystems.svg"
replot
unset output
