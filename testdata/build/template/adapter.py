echo "adapter imported"
