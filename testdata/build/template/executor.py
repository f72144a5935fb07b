echo "executor imported"
